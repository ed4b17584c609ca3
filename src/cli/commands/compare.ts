import { UsageError } from '../../errors.js';
import { jsonOption, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'compare <run> <run> ... [--html compare.html] [--json]',
  help: `Compares runs side by side: their headline metrics (test accuracy, macro-F1, ROC and PR AUC,
best validation accuracy, best epoch, training time), their validation curves overlaid, their
last epoch's attention-entropy distributions overlaid, and the config values that differ.
Prints a table and writes a self-contained HTML page. A <run> is a run folder or a run id (a
unique prefix will do) in the local store (MLFLOW_TRACKING_URI, else ./runs); a sweep's parent
run stands for all its trials: attnlab compare <sweep parent run id>.

  --html file   where to write the page (default compare.html)
  --json        print the comparison as JSON instead of the table`,
  options: { ...jsonOption, html: { type: 'string', default: 'compare.html' } },
  async run({ positionals, values }) {
    if (positionals.length === 0) throw new UsageError('compare needs runs: attnlab compare <run> <run> … or attnlab compare <sweep parent run>');
    const { compareRuns, formatComparison, renderComparisonHtml, resolveRuns } = await import('../../report/compare.js');
    const runs = await resolveRuns(positionals);
    const comparison = compareRuns(runs);
    const { writeFile } = await import('node:fs/promises');
    const out = String(values.html);
    await writeFile(out, await renderComparisonHtml(comparison, runs));
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...comparison, html: out }, null, 2)}\n`);
    } else {
      process.stdout.write(`${formatComparison(comparison)}\nwrote ${out}\n`);
    }
    return 0;
  },
};
export default command;
