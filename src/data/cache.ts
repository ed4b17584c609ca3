/**
 * Where downloaded and derived data is kept between runs, and the cache of tokenised datasets.
 * Many processes may share the folder (a job array on a shared file system): every file is
 * written aside and renamed into place, under a lock, so that cold tasks starting together
 * compute it once and nobody reads half a file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withFileLock, writeFileAtomically } from '../fs-lock.js';
import type { EmbeddingTable, LabelledCorpus } from '../plugin-api.js';
import type { EncodedSplit } from './batches.js';
import { prepareData, type PrepareOptions, type PreparedData, type SplitWords } from './prepare.js';

/** `$ATTNLAB_CACHE`, else `$XDG_CACHE_HOME/attnlab`, else `~/.cache/attnlab`. */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ATTNLAB_CACHE) return env.ATTNLAB_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'attnlab');
}

/** How long a cold task waits for another one computing the same cache file (a GloVe conversion takes seconds). */
const CACHE_LOCK = { staleMs: 10 * 60_000, timeoutMs: 30 * 60_000 };

/**
 * Returns the cached value at `path` (read by `read`, undefined when missing or unreadable), else
 * computes it once across processes: under the lock `<path>.lock`, looks again, then computes
 * and writes it atomically.
 */
export async function cachedFile<T>(path: string, read: (path: string) => Promise<T | undefined>, compute: () => Promise<{ value: T; bytes: Uint8Array | readonly Uint8Array[] }>): Promise<T> {
  const hit = await read(path);
  if (hit !== undefined) return hit;
  return withFileLock(
    `${path}.lock`,
    async () => {
      const late = await read(path);
      if (late !== undefined) return late;
      const { value, bytes } = await compute();
      await writeFileAtomically(path, Array.isArray(bytes) ? Buffer.concat(bytes as Uint8Array[]) : (bytes as Uint8Array));
      return value;
    },
    CACHE_LOCK,
  );
}

/**
 * Version of the tokeniser and of the file layout: a change here invalidates every cached dataset.
 * 2: the test split's words (full lengths and the words of its UNK positions).
 */
const DATASET_CACHE_FORMAT = 'attnlab-dataset-2';

/**
 * The key of a tokenised dataset: the corpus itself (labels, and the text and label of every
 * example of every split), the embeddings that shape the vocabulary, the tokeniser's version,
 * the tokenizer block (type and params) and the vocabulary settings.
 */
export function datasetCacheKey(corpus: LabelledCorpus, settings: { readonly embeddings: unknown; readonly maxLength: number; readonly tokenizer?: unknown }): string {
  const hash = createHash('sha256').update(DATASET_CACHE_FORMAT);
  hash.update(JSON.stringify({ embeddings: settings.embeddings, maxLength: settings.maxLength, labels: corpus.labels, tokenizer: settings.tokenizer }));
  for (const split of SPLITS) {
    hash.update(`\u0000${split}:${corpus[split].length}`);
    for (const example of corpus[split]) hash.update(`\u0000${example.label}\u0000${example.text}`);
  }
  return hash.digest('hex').slice(0, 32);
}

/** Below this many characters of text, tokenising costs less than reading a cache file. */
const DATASET_CACHE_FROM_CHARACTERS = 1_000_000;

export interface PrepareWithCacheOptions extends PrepareOptions {
  readonly cacheDir: string;
  /** What, besides the corpus, decides the vocabulary: the embeddings block (and the seed, for random ones). */
  readonly embeddings: unknown;
  /** Corpora with fewer characters are tokenised each time; 1,000,000 by default. */
  readonly cacheFrom?: number;
  /** The tokenisation; `prepareData` by default. */
  readonly prepare?: typeof prepareData;
}

/**
 * `prepareData` through the dataset cache: the first run of a corpus tokenises it and writes
 * the result; later runs (a sweep's other trials) read it back and skip tokenising.
 */
export async function prepareWithCache(corpus: LabelledCorpus, table: EmbeddingTable, options: PrepareWithCacheOptions): Promise<PreparedData> {
  const prepare = options.prepare ?? prepareData;
  const characters = SPLITS.reduce((sum, split) => sum + corpus[split].reduce((inner, example) => inner + example.text.length, 0), 0);
  if (characters < (options.cacheFrom ?? DATASET_CACHE_FROM_CHARACTERS)) return prepare(corpus, table, options);
  const key = datasetCacheKey(corpus, { embeddings: options.embeddings, maxLength: options.maxLength, tokenizer: options.tokenizer?.spec.block });
  return cachedFile(
    datasetCachePath(options.cacheDir, key),
    (path) => readDatasetCache(path, key),
    async () => {
      const value = await prepare(corpus, table, options);
      return { value, bytes: encodeDataset(key, value) };
    },
  );
}

export function datasetCachePath(cacheDir: string, key: string): string {
  return join(cacheDir, 'datasets', `${key}.bin`);
}

type SplitName = 'train' | 'validation' | 'test';
const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

interface DatasetHeader {
  readonly format: string;
  readonly key: string;
  readonly labels: readonly string[];
  readonly vocabulary: readonly string[];
  readonly dim: number;
  readonly oovRate: number;
  /** The test split's `words.unknownWords`. */
  readonly unknownWords: readonly string[];
  /**
   * Lengths, in elements, of the sections that follow: embeddings, then ids, offsets and labels
   * of each split, then the test split's full lengths, unknown words and their offsets.
   */
  readonly sections: readonly number[];
}

const SECTIONS = 1 + 3 * SPLITS.length + 3;

/** The file: a u32 header length, the JSON header, padding to 4, then the typed arrays in header order. */
export function encodeDataset(key: string, data: PreparedData): Uint8Array[] {
  const { words } = data.test;
  const arrays: (Float32Array | Int32Array)[] = [
    data.embeddings,
    ...SPLITS.flatMap((split) => [data[split].ids, data[split].offsets, data[split].labels]),
    words.fullLengths,
    words.unknown,
    words.unknownOffsets,
  ];
  const header: DatasetHeader = {
    format: DATASET_CACHE_FORMAT,
    key,
    labels: data.labels,
    vocabulary: data.vocabulary,
    dim: data.dim,
    oovRate: data.oovRate,
    unknownWords: words.unknownWords,
    sections: arrays.map((array) => array.length),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const lead = Buffer.alloc(4);
  lead.writeUInt32LE(json.length, 0);
  const padding = Buffer.alloc((4 - ((4 + json.length) % 4)) % 4);
  return [lead, json, padding, ...arrays.map((array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength))];
}

/** The dataset in `path`, or undefined when it is missing, truncated or another key's. */
export async function readDatasetCache(path: string, key: string): Promise<PreparedData | undefined> {
  const read = await readFile(path).catch(() => undefined);
  if (!read || read.length < 4) return undefined;
  try {
    const length = read.readUInt32LE(0);
    const header = JSON.parse(read.toString('utf8', 4, 4 + length)) as DatasetHeader;
    if (header.format !== DATASET_CACHE_FORMAT || header.key !== key || header.sections.length !== SECTIONS) return undefined;
    // Copied into aligned memory: the sections are read as typed arrays.
    let at = 4 + length + ((4 - ((4 + length) % 4)) % 4);
    if (read.length !== at + 4 * header.sections.reduce((sum, count) => sum + count, 0)) return undefined;
    const take = <T extends Float32Array | Int32Array>(Kind: { new (buffer: ArrayBuffer): T }, count: number): T => {
      const copy = new Uint8Array(count * 4);
      copy.set(read.subarray(at, at + count * 4));
      at += count * 4;
      return new Kind(copy.buffer);
    };
    const [embeddingCount, ...splitCounts] = header.sections;
    const embeddings = take(Float32Array, embeddingCount);
    const splits = Object.fromEntries(
      SPLITS.map((split, index): [SplitName, EncodedSplit] => {
        const ids = take(Int32Array, splitCounts[3 * index]);
        const offsets = take(Int32Array, splitCounts[3 * index + 1]);
        const labels = take(Int32Array, splitCounts[3 * index + 2]);
        return [split, { ids, offsets, labels, size: labels.length }];
      }),
    ) as Record<SplitName, EncodedSplit>;
    const [fullLengths, unknown, unknownOffsets] = splitCounts.slice(3 * SPLITS.length).map((count) => take(Int32Array, count));
    const words: SplitWords = { fullLengths, unknown, unknownOffsets, unknownWords: header.unknownWords };
    return { labels: header.labels, vocabulary: header.vocabulary, embeddings, dim: header.dim, oovRate: header.oovRate, ...splits, test: { ...splits.test, words } };
  } catch {
    return undefined;
  }
}
