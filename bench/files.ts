/**
 * Your own data, speed and memory: reading + tokenising + indexing the 50,000 IMDB reviews from
 * CSV, JSONL and Parquet files (made from the archive by scripts/imdb-to.ts) beside the tar.gz
 * path, as ratios within one run (the machine's load moves absolute times); and the peak RSS of
 * loading a 1,000,000-row synthetic CSV. Each figure comes from fresh processes, taken in turns.
 *
 * `ATTNLAB_IMDB=../shared/data/aclImdb_v1_labeled.tar.gz node --import=tsx bench/files.ts`
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { cacheDirectory } from '../src/data/cache.js';
import { winkEmbeddings } from '../src/data/embeddings.js';
import { readLabelledFile } from '../src/data/files.js';
import { IMDB_ENV, readImdb } from '../src/data/imdb.js';
import { prepareData } from '../src/data/prepare.js';
import type { DataFormat, Example } from '../src/plugin-api.js';
import { silentProgress } from '../src/progress.js';
import { convertImdb } from '../scripts/imdb-to.js';

interface Measurement {
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly detail: string;
}

const ROUNDS = 3;
const SYNTHETIC_ROWS = 1_000_000;
const FORMATS = ['csv', 'jsonl', 'parquet'] as const;

export async function benchFiles(): Promise<void> {
  const imdb = process.env[IMDB_ENV];
  if (!imdb) {
    report('own-data formats', `skipped: set ${IMDB_ENV} to aclImdb_v1.tar.gz`);
    return;
  }
  await (await winkEmbeddings({ trainable: false }, { cacheDir: cacheDirectory(), progress: silentProgress, seed: 0, configDir: process.cwd() })).load();
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-bench-files-'));
  try {
    for (const format of FORMATS) await convertImdb(imdb, format, 2, folder);
    const sources = ['tar', ...FORMATS] as const;
    const times = new Map<string, Measurement[]>(sources.map((source) => [source, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const source of sources) times.get(source)?.push(await child(['--read', source, folder]));
    }
    const median = (source: string): Measurement => [...(times.get(source) ?? [])].sort((a, b) => a.seconds - b.seconds)[Math.floor(ROUNDS / 2)];
    const tar = median('tar');
    report('tokenise + index 50,000 IMDB reviews from the tar.gz', `${tar.seconds.toFixed(2)} s (median of ${ROUNDS} processes; ${tar.detail})`);
    for (const format of FORMATS) {
      const result = median(format);
      report(`  from ${format}`, `${result.seconds.toFixed(2)} s, ${(result.seconds / tar.seconds).toFixed(2)}× the tar.gz path (target ≤ 1.5×; ${result.detail})`);
    }
    const file = join(folder, 'synthetic.csv');
    await writeSynthetic(file, SYNTHETIC_ROWS);
    const big = await child(['--synthetic', file]);
    report(`${SYNTHETIC_ROWS.toLocaleString('en')}-row synthetic CSV`, `${big.seconds.toFixed(1)} s, peak RSS ${big.peakRssMb} MB (target < 1536 MB; ${big.detail})`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function writeSynthetic(file: string, rows: number): Promise<void> {
  const words = ['good', 'bad', 'plot', 'actor', 'scene', 'music', 'boring', 'great', 'the', 'a', 'and', 'of', 'film', 'story'];
  const out = createWriteStream(file);
  out.write('text,label\n');
  let state = 1;
  for (let row = 0; row < rows; row++) {
    const text: string[] = [];
    for (let k = 0; k < 16; k++) {
      state = (state * 1103515245 + 12345) >>> 0;
      text.push(words[state % words.length]);
    }
    if (!out.write(`"${text.join(' ')}, row ${row}",${['neg', 'pos', 'mixed'][row % 3]}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function child(args: readonly string[]): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', fileURLToPath(import.meta.url), ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Measurement;
}

async function measureRead(source: string, folder: string): Promise<Omit<Measurement, 'peakRssMb'>> {
  const table = await (await winkEmbeddings({ trainable: false }, { cacheDir: cacheDirectory(), progress: silentProgress, seed: 0, configDir: process.cwd() })).load();
  const start = performance.now();
  let train: readonly Example[];
  let test: readonly Example[];
  if (source === 'tar') {
    ({ train, test } = await readImdb(process.env[IMDB_ENV] ?? '', silentProgress));
  } else {
    const spec = { format: source as DataFormat, text: 'text', label: 'label' };
    train = await readLabelledFile(spec, join(folder, `imdb-train.${source}`), ['neg', 'pos']);
    test = await readLabelledFile(spec, join(folder, `imdb-test.${source}`), ['neg', 'pos']);
  }
  const readSeconds = (performance.now() - start) / 1000;
  const prepared = await prepareData({ labels: ['neg', 'pos'], train, validation: [], test }, table, { maxLength: 100_000 });
  const seconds = (performance.now() - start) / 1000;
  return { seconds, detail: `${prepared.train.size + prepared.test.size} reviews, reading ${readSeconds.toFixed(2)} s` };
}

async function measureSynthetic(file: string): Promise<Omit<Measurement, 'peakRssMb'>> {
  const start = performance.now();
  const rows = await readLabelledFile({ format: 'csv', text: 'text', label: 'label' }, file, ['mixed', 'neg', 'pos']);
  const words = ['good', 'bad', 'plot', 'actor', 'scene', 'music', 'boring', 'great', 'the', 'a', 'and', 'of', 'film', 'story'];
  const { VectorTable } = await import('../src/data/vector-table.js');
  const table = new VectorTable(words, new Float32Array(words.length * 8), 8);
  const prepared = await prepareData({ labels: ['mixed', 'neg', 'pos'], train: rows, validation: [], test: [] }, table, { maxLength: 400 });
  return { seconds: (performance.now() - start) / 1000, detail: `${prepared.train.size} rows read, tokenised and indexed` };
}

function report(what: string, figure: string): void {
  process.stdout.write(`data: ${what}: ${figure}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [flag, ...rest] = process.argv.slice(2);
  if (flag === '--read' || flag === '--synthetic') {
    const result = flag === '--read' ? await measureRead(rest[0], rest[1]) : await measureSynthetic(rest[0]);
    process.stdout.write(JSON.stringify({ ...result, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  } else await benchFiles();
}
