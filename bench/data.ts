/**
 * Data benchmark: tokenise + index all 50,000 IMDB reviews from the tar.gz at $ATTNLAB_IMDB,
 * embeddings ready from the binary cache, the first load from the wink JSON (time and peak RSS),
 * and the OOV rate of IMDB train against GloVe 6B 100d. Each figure is measured in a fresh
 * process, as a run meets it, so that one measurement's garbage does not slow the next.
 *
 * `ATTNLAB_IMDB=../shared/data/aclImdb_v1_labeled.tar.gz node --import=tsx bench/data.ts`
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { cacheDirectory } from '../src/data/cache.js';
import { winkEmbeddings } from '../src/data/embeddings.js';
import { IMDB_ENV, readImdb } from '../src/data/imdb.js';
import { prepareData } from '../src/data/prepare.js';
import type { EmbeddingsContext } from '../src/plugin-api.js';
import { silentProgress } from '../src/progress.js';

interface Measurement {
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly detail: string;
}

/** What a child process measures, by its command-line flag. */
const MEASUREMENTS: Record<string, () => Promise<Omit<Measurement, 'peakRssMb'>>> = {
  '--wink-first-load': measureWinkFirstLoad,
  '--cache-load': measureCacheLoad,
  '--imdb': measureImdb,
};

export async function benchData(): Promise<void> {
  await (await winkEmbeddings({ trainable: false }, embeddingsContext(cacheDirectory()))).load(); // fills the cache
  const cache = await median('--cache-load', 3);
  report('embeddings ready from the binary cache', `${cache.seconds.toFixed(2)} s, median of 3 processes (${cache.detail}; target ≤ 0.3 s)`);
  const wink = await median('--wink-first-load', 1);
  report('first load from the wink JSON', `${wink.seconds.toFixed(2)} s, peak RSS ${wink.peakRssMb} MB (plain require: 5.6 s, 1 GB)`);
  if (!process.env[IMDB_ENV]) {
    report('IMDB', `skipped: set ${IMDB_ENV} to aclImdb_v1.tar.gz (e.g. ../shared/data/aclImdb_v1_labeled.tar.gz)`);
    return;
  }
  // This figure moves by a third from one process to the next here: a median over seven, and the range.
  const imdb = await measureProcesses('--imdb', 7);
  const middle = imdb[3];
  const range = `${imdb[0].seconds.toFixed(2)}–${imdb[6].seconds.toFixed(2)} s`;
  report('tokenise + index all IMDB reviews from the tar.gz', `${middle.seconds.toFixed(2)} s, median of 7 processes (${range}; ${middle.detail}; target ≤ 2.5 s)`);
}

async function median(flag: string, runs: number): Promise<Measurement> {
  return (await measureProcesses(flag, runs))[Math.floor(runs / 2)];
}

/** The measurement `flag` names, each in a fresh process, fastest first. */
async function measureProcesses(flag: string, runs: number): Promise<Measurement[]> {
  const results: Measurement[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', fileURLToPath(import.meta.url), flag], { maxBuffer: 1 << 20 });
    results.push(JSON.parse(stdout) as Measurement);
  }
  return results.sort((a, b) => a.seconds - b.seconds);
}

async function measureCacheLoad(): Promise<Omit<Measurement, 'peakRssMb'>> {
  const embeddings = await winkEmbeddings({ trainable: false }, embeddingsContext(cacheDirectory()));
  const start = performance.now();
  const table = await embeddings.load();
  return { seconds: elapsed(start), detail: `${table.size} × ${table.dim}` };
}

async function measureWinkFirstLoad(): Promise<Omit<Measurement, 'peakRssMb'>> {
  const emptyCache = mkdtempSync(join(tmpdir(), 'attnlab-bench-'));
  try {
    const embeddings = await winkEmbeddings({ trainable: false }, embeddingsContext(emptyCache));
    const start = performance.now();
    const table = await embeddings.load();
    return { seconds: elapsed(start), detail: `${table.size} × ${table.dim}, binary cache written` };
  } finally {
    rmSync(emptyCache, { recursive: true, force: true });
  }
}

/** Reading, tokenising and indexing; the embeddings (from the cache) are loaded before the clock starts. */
async function measureImdb(): Promise<Omit<Measurement, 'peakRssMb'>> {
  const table = await (await winkEmbeddings({ trainable: false }, embeddingsContext(cacheDirectory()))).load();
  const start = performance.now();
  const raw = await readImdb(process.env[IMDB_ENV]!, silentProgress);
  const readSeconds = elapsed(start);
  const prepared = await prepareData({ labels: raw.labels, train: raw.train, validation: [], test: raw.test }, table, { maxLength: 100_000 });
  const seconds = elapsed(start);
  const tokens = prepared.train.ids.length + prepared.test.ids.length;
  const detail = `${prepared.train.size + prepared.test.size} reviews, ${tokens} tokens, reading the archive ${readSeconds.toFixed(2)} s; ` +
    `OOV rate of train vs GloVe 6B 100d (wink) ${(100 * prepared.oovRate).toFixed(2)}%, vocabulary ${prepared.vocabulary.length}`;
  return { seconds, detail };
}

function embeddingsContext(cacheDir: string): EmbeddingsContext {
  return { cacheDir, progress: silentProgress, seed: 0, configDir: process.cwd() };
}

function elapsed(start: number): number {
  return (performance.now() - start) / 1000;
}

function report(what: string, figure: string): void {
  process.stdout.write(`data: ${what}: ${figure}\n`);
}

async function runChildMeasurement(flag: string): Promise<void> {
  const result = await MEASUREMENTS[flag]();
  process.stdout.write(JSON.stringify({ ...result, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = process.argv.find((argument) => argument in MEASUREMENTS);
  await (flag ? runChildMeasurement(flag) : benchData());
}
