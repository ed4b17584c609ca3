/**
 * Converts the IMDB archive into the formats attnlab reads as "your own data", so that every
 * dataset plugin and the multi-class path can run on data at hand:
 *
 *   node --import=tsx scripts/imdb-to.ts csv|tsv|jsonl|parquet|folders [--classes 2|3|8] [--out data] [--archive PATH]
 *
 * writes `<out>/imdb[-<classes>class]-train.<ext>` and `-test.<ext>` (or a folder per split and
 * class). Columns: `text`, `label`, `rating`. Labels: 2 classes `neg`/`pos`; 3 classes from the
 * star rating, `negative` (1–3), `mixed` (4 and 7), `positive` (8–10); 8 classes, the rating
 * itself (1–4 and 7–10; IMDB has no 5 or 6), in Parquet as an integer 0–7 (a Hugging Face
 * ClassLabel) that the config names. The archive is `--archive`, else $ATTNLAB_IMDB.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { IMDB_ENV, readImdb } from '../src/data/imdb.js';
import type { Example } from '../src/plugin-api.js';
import { silentProgress } from '../src/progress.js';

const FORMATS = ['csv', 'tsv', 'jsonl', 'parquet', 'folders'] as const;
type Format = (typeof FORMATS)[number];
/** The eight star ratings IMDB has, in order: label i of the 8-class variant is RATINGS[i]. */
export const RATINGS = [1, 2, 3, 4, 7, 8, 9, 10] as const;

function labelOf(example: Example, classes: number): string {
  const rating = Number(example.meta?.rating);
  if (classes === 2) return example.label === 1 ? 'pos' : 'neg';
  if (classes === 3) return rating <= 3 ? 'negative' : rating >= 8 ? 'positive' : 'mixed';
  return String(rating);
}

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(file);
  for (const line of lines) if (!out.write(line)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function* csvLines(examples: readonly Example[], classes: number, delimiter: string): Generator<string> {
  const quote = (value: string): string => `"${value.replaceAll('"', '""')}"`;
  yield ['text', 'label', 'rating'].join(delimiter) + '\n';
  for (const example of examples) yield [quote(example.text), quote(labelOf(example, classes)), String(example.meta?.rating)].join(delimiter) + '\n';
}

function* jsonLines(examples: readonly Example[], classes: number): Generator<string> {
  for (const example of examples) yield `${JSON.stringify({ text: example.text, label: labelOf(example, classes), rating: example.meta?.rating })}\n`;
}

async function writeParquet(file: string, examples: readonly Example[], classes: number): Promise<void> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const labels = classes === 8
    ? { name: 'label', data: Int32Array.from(examples, (example) => RATINGS.indexOf(Number(example.meta?.rating) as (typeof RATINGS)[number])), type: 'INT32' as const }
    : { name: 'label', data: examples.map((example) => labelOf(example, classes)), type: 'STRING' as const };
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'text', data: examples.map((example) => example.text), type: 'STRING' },
      labels,
      { name: 'rating', data: Int32Array.from(examples, (example) => Number(example.meta?.rating)), type: 'INT32' },
    ],
    rowGroupSize: 5000,
  });
  await writeFile(file, new Uint8Array(buffer));
}

async function writeFolders(root: string, examples: readonly Example[], classes: number): Promise<void> {
  for (const example of examples) {
    const folder = join(root, labelOf(example, classes));
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `${example.id.split('/').pop()}_${example.meta?.rating}.txt`), example.text);
  }
}

export async function convertImdb(archive: string, format: Format, classes: number, out: string): Promise<string[]> {
  const raw = await readImdb(archive, silentProgress);
  await mkdir(out, { recursive: true });
  const stem = join(out, classes === 2 ? 'imdb' : `imdb-${classes}class`);
  const written: string[] = [];
  for (const [split, examples] of [['train', raw.train], ['test', raw.test]] as const) {
    if (format === 'folders') {
      await writeFolders(join(stem, split), examples, classes);
      written.push(join(stem, split));
      continue;
    }
    const file = `${stem}-${split}.${format}`;
    if (format === 'csv' || format === 'tsv') await writeLines(file, csvLines(examples, classes, format === 'csv' ? ',' : '\t'));
    else if (format === 'jsonl') await writeLines(file, jsonLines(examples, classes));
    else await writeParquet(file, examples, classes);
    written.push(file);
  }
  return written;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { classes: { type: 'string', default: '2' }, out: { type: 'string', default: 'data' }, archive: { type: 'string', default: process.env[IMDB_ENV] ?? '' } },
  });
  const format = positionals[0] as Format;
  const classes = Number(values.classes);
  if (!FORMATS.includes(format) || ![2, 3, 8].includes(classes) || !values.archive) {
    process.stderr.write(`usage: imdb-to.ts ${FORMATS.join('|')} [--classes 2|3|8] [--out data] [--archive aclImdb_v1.tar.gz] (or set ${IMDB_ENV})\n`);
    process.exitCode = 2;
    return;
  }
  for (const file of await convertImdb(values.archive, format, classes, values.out)) process.stdout.write(`${file}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
