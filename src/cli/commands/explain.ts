import { UsageError } from '../../errors.js';
import { jsonOption, stringList, threadsOption, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'explain <run> [--text "…" ...] [--file F] [--examples N] [--top K] [--permutations K] [--html F] [--threads N] [--json]',
  help: `Shows where a trained model's attention goes. For each review: the prediction and its
probability, the most attended words with their weights, and the review with each word shaded
by its weight (plain weights with NO_COLOR or off a terminal). Then, "is attention explanation?"
(Jain & Wallace 2019): Kendall τ between the attention and a gradient × input importance, and
how much the prediction moves when the attention is randomly permuted.

  --text "…"          a review to explain (repeatable)
  --file reviews.txt  reviews to explain, one per line
  --examples N        without --text/--file: N reviews from the test split (default 5)
  --top K             most attended words listed (default 5)
  --permutations K    random permutations per review (default 100)
  --html out.html     also write the reviews as a self-contained HTML page
  --threads N         threads the kernels split each batch over (default: all cores); more
                      than the cores is allowed, and said on standard error
  --json              print the explanations as JSON (with "threads", the count used)`,
  options: {
    ...jsonOption,
    ...threadsOption,
    text: { type: 'string', multiple: true },
    file: { type: 'string' },
    examples: { type: 'string', default: '5' },
    top: { type: 'string', default: '5' },
    permutations: { type: 'string', default: '100' },
    html: { type: 'string' },
  },
  async run({ positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('explain takes one run: attnlab explain <run-id | run folder> --text "…"');
    const count = (name: string): number => {
      const value = Number(values[name]);
      if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} takes a positive whole number, found "${String(values[name])}"`);
      return value;
    };
    const threads = await (await import('../threads.js')).startThreadsOption(values.threads);
    const { readFile, writeFile, stat } = await import('node:fs/promises');
    const { dirname, resolve } = await import('node:path');
    if (typeof values.html === 'string') {
      const folder = dirname(resolve(values.html));
      const info = await stat(folder).catch(() => undefined);
      if (!info?.isDirectory()) throw new UsageError(`--html ${values.html}: the folder ${folder} does not exist; create it first or write the page elsewhere`);
    }
    const texts = stringList(values.text);
    if (typeof values.file === 'string') {
      const file = values.file;
      const content = await readFile(file, 'utf8').catch((error: Error) => {
        throw new UsageError(`--file ${file}: cannot read it (${error.message})`);
      });
      texts.push(...content.split('\n').filter((line) => line.trim() !== ''));
    }
    const { explainRun } = await import('../../run/explain.js');
    const explanation = await explainRun(positionals[0], {
      texts: texts.length ? texts : undefined,
      examples: count('examples'),
      permutations: count('permutations'),
      progress: (await import('../../progress.js')).createProgress({ plainLines: false }),
    });
    if (typeof values.html === 'string') {
      const { renderAttentionHtml } = await import('../../report/html.js');
      const section = { id: 'reviews', title: 'Reviews', description: `Attention of ${explanation.name}`, examples: explanation.examples };
      await writeFile(values.html, await renderAttentionHtml([section], { title: `Attention of ${explanation.name}`, faithfulness: explanation.faithfulness, header: explanation.header }));
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...explanation, threads }, (_, value: unknown) => (ArrayBuffer.isView(value) ? Array.from(value as Float32Array) : value), 2)}\n`);
      return 0;
    }
    const { formatExplanation, formatFaithfulnessSummary, useColor } = await import('../../report/terminal.js');
    // A terminal that reports 0 columns (some CI ptys, a detached tmux) gets 100, as off a terminal.
    const options = { color: useColor(process.stdout), topK: count('top'), width: process.stdout.columns || 100 };
    for (const example of explanation.examples) process.stdout.write(`${formatExplanation(example, options)}\n\n`);
    process.stdout.write(`${formatFaithfulnessSummary(explanation.faithfulness)}\n`);
    return 0;
  },
};
export default command;
