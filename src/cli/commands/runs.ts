import { UsageError } from '../../errors.js';
import { jsonOption, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'runs [--experiment name] [--limit N] [--json]',
  help: `Lists recent runs, newest first, from the tracking store: MLFLOW_TRACKING_URI (a server or
a folder), else ./runs. Shows each run's id, name, status, start and key metrics.`,
  options: { ...jsonOption, experiment: { type: 'string' }, limit: { type: 'string', default: '20' } },
  async run({ values }) {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a positive whole number, found "${String(values.limit)}"`);
    const { listRuns } = await import('../../tracking/runs.js');
    const runs = await listRuns({ experiment: values.experiment as string | undefined, limit });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      process.stdout.write('no runs yet: `attnlab run <config>` records one\n');
      return 0;
    }
    const percent = (value: number | undefined): string => (value === undefined ? '–' : `${(100 * value).toFixed(2)}%`);
    const rows = runs.map((run) => [
      run.runId.slice(0, 12),
      run.runName,
      run.status,
      new Date(run.startTime).toISOString().slice(0, 16).replace('T', ' '),
      percent(run.metrics.best_val_accuracy ?? run.metrics.val_accuracy),
      percent(run.metrics.test_accuracy),
    ]);
    const header = ['run', 'name', 'status', 'started (UTC)', 'val acc', 'test acc'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
    for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()}\n`);
    return 0;
  },
};
export default command;
