import { UsageError } from '../../errors.js';
import { threadsOption, type CommandModule } from '../command.js';

const FORMATS = ['csv', 'jsonl'] as const;
const INPUT_FORMATS = ['csv', 'jsonl', 'parquet'] as const;

const command: CommandModule = {
  usage: 'predict <run-id | run folder> --input FILE|- [--output FILE|-] [--format csv|jsonl] [--input-format F] [--text COLUMN] [--top K] [--threads N]',
  help: `Scores new texts with a finished run's checkpoint. The input is a CSV, TSV, JSONL or
Parquet file (optionally .gz), or - for standard input (JSONL unless --input-format says);
it is read, scored and written a batch at a time, so a file of any size runs in bounded memory.
Each output row holds the row's id (file:line), the predicted label and every class's
probability; with --top K, also the K most attended words.

  --input FILE|-          the texts
  --output FILE|-         where to write (default -, standard output)
  --format csv|jsonl      output format (default from the output's name, else csv)
  --input-format F        csv, jsonl or parquet, when the input's name does not tell
  --text COLUMN           column or field holding the texts (default text)
  --top K                 add the K most attended words of each text
  --threads N             threads the kernels split each batch over (default: all cores);
                          more than the cores is allowed, and said on standard error

Exit codes: 0 done, 1 failed, 2 bad arguments or bad input (the message names file:line).`,
  options: {
    input: { type: 'string' },
    output: { type: 'string', default: '-' },
    format: { type: 'string' },
    'input-format': { type: 'string' },
    text: { type: 'string', default: 'text' },
    top: { type: 'string', default: '0' },
    ...threadsOption,
  },
  async run({ positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('predict takes one run: attnlab predict <run-id | run folder> --input texts.csv');
    const input = values.input;
    if (typeof input !== 'string' || input === '') throw new UsageError('predict needs --input FILE (or --input - for standard input)');
    const format = values.format;
    if (format !== undefined && !FORMATS.includes(format as never)) throw new UsageError(`--format must be csv or jsonl, found "${String(format)}"`);
    const inputFormat = values['input-format'];
    if (inputFormat !== undefined && !INPUT_FORMATS.includes(inputFormat as never)) throw new UsageError(`--input-format must be one of ${INPUT_FORMATS.join(', ')}, found "${String(inputFormat)}"`);
    const top = Number(values.top);
    if (!Number.isInteger(top) || top < 0) throw new UsageError(`--top must be a whole number ≥ 0, found "${String(values.top)}"`);
    const text = String(values.text);
    await (await import('../threads.js')).startThreadsOption(values.threads);
    const { predictRun } = await import('../../run/predict.js');
    const { createProgress } = await import('../../progress.js');
    const summary = await predictRun(positionals[0], {
      input,
      output: String(values.output),
      format: format as (typeof FORMATS)[number] | undefined,
      inputFormat: inputFormat as (typeof INPUT_FORMATS)[number] | undefined,
      text: /^\d+$/.test(text) && /csv|tsv/.test(String(inputFormat ?? input)) ? Number(text) : text,
      top,
      progress: createProgress({ plainLines: false }),
    });
    if (values.output !== '-') process.stderr.write(`${summary.rows} rows scored → ${String(values.output)}\n`);
    return 0;
  },
};
export default command;
