/**
 * `attnlab predict`: a finished run scores new texts. Rows are read, encoded with the run's
 * vocabulary, scored and written a batch at a time, so that memory stays bounded whatever the
 * input's size; each output row holds the predicted label, every class's probability and, on
 * request, the most attended words.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { checkedText, recordId } from '../data/files.js';
import { encodeWithVocabulary, reviewTokens } from '../data/prepare.js';
import { formatOf, InputError, readRecords } from '../data/records.js';
import type { DataFormat, ProgressReporter } from '../plugin-api.js';
import { argMax, evaluate } from '../train/evaluate.js';
import { restoreRun, type RestoredRun } from './restore.js';
import { terminal } from '../terminal.js';

export interface PredictOptions {
  /** A file (CSV, TSV, JSONL, Parquet, `.gz`), or `-` for standard input. */
  readonly input: string;
  /** A file, or `-` for standard output. */
  readonly output: string;
  /** Output format; default from the output file's name, else CSV. */
  readonly format?: 'csv' | 'jsonl';
  /** Input format; default from the input file's name (standard input: JSONL). */
  readonly inputFormat?: DataFormat;
  /** CSV delimiter of the input; default from its name. */
  readonly delimiter?: string;
  /** Column (or field) of the texts. */
  readonly text: string | number;
  /** Most attended words per row; 0 for none. */
  readonly top: number;
  readonly progress: ProgressReporter;
  /** Texts scored together; bounds memory. */
  readonly batchRows?: number;
}

export interface PredictSummary {
  readonly rows: number;
  readonly labels: readonly string[];
}

interface Pending {
  readonly id: string;
  readonly text: string;
}

export async function predictRun(reference: string, options: PredictOptions): Promise<PredictSummary> {
  const run = await restoreRun(reference);
  try {
    return await predictWith(run, options);
  } finally {
    run.built.dispose();
  }
}

export async function predictWith(run: RestoredRun, options: PredictOptions): Promise<PredictSummary> {
  const labels = run.checkpoint.manifest.labels;
  const detected = options.input === '-' ? undefined : formatOf(options.input);
  const inputFormat = options.inputFormat ?? detected?.format ?? (options.input === '-' ? 'jsonl' : undefined);
  if (!inputFormat) throw new InputError('data-format', { file: options.input }, 'cannot tell the format from the name; name it .csv, .tsv, .jsonl or .parquet (optionally .gz) or pass --input-format');
  const format = options.format ?? (options.output.replace(/\.gz$/, '').endsWith('.jsonl') ? 'jsonl' : 'csv');
  const stdout = terminal().stdout;
  const out: NodeJS.WritableStream = options.output === '-' ? stdout : createWriteStream(options.output);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const task = options.progress.start('predicting', undefined, 'rows');
  const batchRows = options.batchRows ?? 1024;
  let pending: Pending[] = [];
  let rows = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await write(scoreBatch(run, pending, labels, format, options.top));
    rows += pending.length;
    task.tick(pending.length);
    pending = [];
  };
  try {
    if (format === 'csv') await write(`${csvHeader(labels, options.top)}\n`);
    const spec = { text: options.text, delimiter: options.delimiter ?? detected?.delimiter };
    for await (const record of readRecords(inputFormat, options.input, spec)) {
      pending.push({ id: recordId(record), text: checkedText(record, { text: options.text, format: inputFormat }) });
      if (pending.length >= batchRows) await flush();
    }
    await flush();
  } finally {
    task.done();
    if (out !== stdout) {
      out.end();
      await once(out, 'finish');
    }
  }
  return { rows, labels };
}

function scoreBatch(run: RestoredRun, batch: readonly Pending[], labels: readonly string[], format: 'csv' | 'jsonl', top: number): string {
  const { config, checkpoint, tf, built, tokenizer } = run;
  const maxLength = config.train.max_length;
  const examples = batch.map((row) => ({ id: row.id, text: row.text, label: 0 }));
  const encoded = encodeWithVocabulary(examples, checkpoint.vocabulary, maxLength, tokenizer);
  const scored = evaluate(tf, built.model, encoded, { batchSize: config.train.eval_batch_size, batchTokens: config.train.eval_batch_tokens, maxLength });
  const classes = labels.length;
  const lines: string[] = [];
  batch.forEach((row, index) => {
    const probabilities = Array.from(scored.probabilities.subarray(index * classes, (index + 1) * classes));
    const predicted = labels[argMax(probabilities)];
    const words = top > 0 ? topWords(reviewTokens(encoded, checkpoint.vocabulary, index).tokens, scored.attention[index], top, maxLength) : [];
    if (format === 'jsonl') {
      const line: Record<string, unknown> = { id: row.id, predicted, probabilities: Object.fromEntries(labels.map((label, k) => [label, round(probabilities[k])])) };
      if (top > 0) line.top = words.map(([token, weight]) => ({ token, weight: round(weight) }));
      lines.push(JSON.stringify(line));
    } else {
      const cells = [csvCell(row.id), csvCell(predicted), ...probabilities.map((p) => String(round(p)))];
      if (top > 0) cells.push(csvCell(words.map(([token]) => token).join(' ')));
      lines.push(cells.join(','));
    }
  });
  return `${lines.join('\n')}\n`;
}

/** The `k` of a text's `tokens` with the most attention, most first (ties: earlier first). */
export function topWords(tokens: readonly string[], weights: Float32Array, k: number, maxLength: number): [string, number][] {
  return tokens
    .slice(0, Math.min(maxLength, weights.length))
    .map((token, position): [string, number, number] => [token, weights[position], position])
    .sort((a, b) => b[1] - a[1] || a[2] - b[2])
    .slice(0, k)
    .map(([token, weight]) => [token, weight]);
}

function csvHeader(labels: readonly string[], top: number): string {
  return ['id', 'predicted', ...labels.map((label) => `p_${label}`), ...(top > 0 ? ['top_words'] : [])].map(csvCell).join(',');
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
