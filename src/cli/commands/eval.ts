import { UsageError } from '../../errors.js';
import { jsonOption, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'eval <run-id | run folder> [--split test|validation] [--json]',
  help: `Reloads a finished run's checkpoint (its best epoch on validation) and scores it again on
the test split of its dataset (or --split validation). <run> is a run folder, its artifacts
folder, or a run id (a unique prefix will do) in the local store (MLFLOW_TRACKING_URI, else
./runs).`,
  options: { ...jsonOption, split: { type: 'string', default: 'test' } },
  async run({ positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('eval takes one run: attnlab eval <run-id | run folder>');
    const split = values.split;
    if (split !== 'test' && split !== 'validation') throw new UsageError(`--split must be test or validation, found "${String(split)}"`);
    const { evaluateRun } = await import('../../run/evaluate-run.js');
    const result = await evaluateRun(positionals[0], split);
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${result.name}: ${split} accuracy ${(100 * result.accuracy).toFixed(2)}%, loss ${result.loss.toFixed(4)} on ${result.reviews} reviews\n`);
    return 0;
  },
};
export default command;
