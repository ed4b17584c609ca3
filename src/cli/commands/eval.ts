import { UsageError } from '../../errors.js';
import { jsonOption, threadsOption, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'eval <run-id | run folder> [--split test|validation] [--data FILE | YAML block] [--threads N] [--json]',
  help: `Reloads a finished run's checkpoint (its best epoch on validation) and scores it again on
the test split of its dataset (or --split validation). <run> is a run folder, its artifacts
folder, or a run id (a unique prefix will do) in the local store (MLFLOW_TRACKING_URI, else
./runs).

  --data FILE        score another labelled file instead: CSV, TSV, JSONL, Parquet (text and
                     label columns) or a folder of class folders; every row is scored
  --data '{ type: csv, path: other.csv, text: review }'
                     or a data block (inline YAML or a .yaml file): its test split is scored
  --threads N        threads the kernels split each batch over (default: all cores); more
                     than the cores is allowed, and said on standard error
  --json             print the result as JSON (with "threads", the count used)
Labels must be among the run's classes. Exit code 2 on bad input (the message names file:line).`,
  options: { ...jsonOption, ...threadsOption, split: { type: 'string', default: 'test' }, data: { type: 'string' } },
  async run({ positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('eval takes one run: attnlab eval <run-id | run folder>');
    const split = values.split;
    if (split !== 'test' && split !== 'validation') throw new UsageError(`--split must be test or validation, found "${String(split)}"`);
    const threads = await (await import('../threads.js')).startThreadsOption(values.threads);
    const { evaluateRun } = await import('../../run/evaluate-run.js');
    const data = typeof values.data === 'string' ? values.data : undefined;
    const result = await evaluateRun(positionals[0], split, data);
    const what = data === undefined ? split : data;
    const f1 = result.perClass.length > 2 ? `, macro-F1 ${(100 * result.macroF1).toFixed(2)}%` : '';
    if (values.json) process.stdout.write(`${JSON.stringify({ ...result, threads }, null, 2)}\n`);
    else process.stdout.write(`${result.name}: ${what} accuracy ${(100 * result.accuracy).toFixed(2)}%${f1}, loss ${result.loss.toFixed(4)} on ${result.reviews} reviews\n`);
    return 0;
  },
};
export default command;
