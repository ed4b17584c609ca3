/**
 * GloVe and word2vec text formats: one `word v1 v2 … vd` line per word, word2vec with a first
 * line `count dim`. Parsed from bytes, chunk by chunk, without splitting lines into strings.
 */
import { basename } from 'node:path';
import { DataError } from '../errors.js';
import type { ProgressReporter } from '../plugin-api.js';
import { parseDecimal, parsedEnd } from './numbers.js';
import { VectorTable } from './vector-table.js';

const NEWLINE = 0x0a;
const SPACE = 0x20;
const ROWS_PER_BLOCK = 16_384;

/**
 * Reads the vectors of a text stream; `file` names the source in errors. A large file takes
 * seconds to convert, so `progress` is told of every word read.
 */
export async function parseVectorText(chunks: AsyncIterable<Uint8Array>, file: string, progress?: ProgressReporter): Promise<VectorTable> {
  const parser = new VectorTextParser(file);
  const task = progress?.start(`converting ${basename(file)} to the binary cache`, undefined, 'words');
  try {
    let leftover: Buffer = Buffer.alloc(0);
    for await (const chunk of chunks) {
      const data = leftover.length ? Buffer.concat([leftover, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      const before = parser.rows;
      const consumed = parser.parseLines(data, false);
      task?.tick(parser.rows - before);
      leftover = Buffer.from(data.subarray(consumed));
    }
    const before = parser.rows;
    parser.parseLines(leftover, true);
    task?.tick(parser.rows - before);
    return parser.table();
  } finally {
    task?.done();
  }
}

class VectorTextParser {
  private dim = 0;
  private line = 0;
  private readonly words: string[] = [];
  private readonly blocks: Float32Array[] = [];
  private row = 0;

  constructor(private readonly file: string) {}

  /** Words read so far. */
  get rows(): number {
    return this.row;
  }

  /** Parses the complete lines of `data` (all of it when `last`); returns the bytes consumed. */
  parseLines(data: Buffer, last: boolean): number {
    let start = 0;
    while (start < data.length) {
      let end = data.indexOf(NEWLINE, start);
      if (end < 0) {
        if (!last) break;
        end = data.length;
      }
      this.line++;
      this.parseLine(data, start, trimEnd(data, start, end));
      start = end + 1;
    }
    return Math.min(start, data.length);
  }

  table(): VectorTable {
    if (this.dim === 0) throw new DataError('embeddings-empty', `${this.file}: no vectors found; expected lines like \`the 0.418 0.24968 …\``);
    const vectors = new Float32Array(this.row * this.dim);
    this.blocks.forEach((block, index) => {
      const offset = index * ROWS_PER_BLOCK * this.dim;
      vectors.set(block.subarray(0, Math.min(block.length, vectors.length - offset)), offset);
    });
    return new VectorTable(this.words, vectors, this.dim);
  }

  private parseLine(data: Buffer, start: number, end: number): void {
    if (end === start) return;
    const space = data.indexOf(SPACE, start);
    if (space < 0 || space >= end) throw this.error(`expected a word followed by ${this.dim || 'its'} numbers, found \`${preview(data, start, end)}\``);
    if (this.line === 1 && this.isWord2vecHeader(data, start, end)) return;
    const values = this.nextRow();
    let count = 0;
    let i = space;
    while (i < end) {
      while (data[i] === SPACE) i++;
      if (i >= end) break;
      const value = parseDecimal(data, i, end);
      if (Number.isNaN(value) || (parsedEnd < end && data[parsedEnd] !== SPACE)) throw this.error(`\`${preview(data, i, end)}\` is not a number`);
      if (!Number.isFinite(value) || Math.abs(value) > 3.4e38) throw this.error(`\`${preview(data, i, parsedEnd)}\` is not a finite float32 number`);
      if (this.dim === 0 || count < this.dim) values.block[values.offset + count] = value;
      count++;
      i = parsedEnd;
    }
    if (this.dim === 0) this.startWithDim(count, values);
    if (count !== this.dim) throw this.error(`expected ${this.dim} numbers after the word, found ${count}`);
    this.words.push(data.toString('utf8', start, space));
    this.row++;
  }

  /** `count dim` on the first line: two integers, no word. */
  private isWord2vecHeader(data: Buffer, start: number, end: number): boolean {
    const fields = data.toString('latin1', start, end).split(' ');
    if (fields.length !== 2 || !fields.every((field) => /^\d+$/.test(field))) return false;
    this.dim = Number(fields[1]);
    return true;
  }

  /** The first row decides the dimension of a GloVe file; it was parsed into a scratch row. */
  private startWithDim(dim: number, scratch: { block: Float32Array; offset: number }): void {
    const values = scratch.block.slice(0, dim);
    this.dim = dim;
    this.blocks.length = 0;
    const row = this.nextRow();
    row.block.set(values, row.offset);
  }

  private nextRow(): { block: Float32Array; offset: number } {
    if (this.dim === 0) return { block: new Float32Array(4096), offset: 0 };
    const blockIndex = Math.floor(this.row / ROWS_PER_BLOCK);
    if (blockIndex === this.blocks.length) this.blocks.push(new Float32Array(ROWS_PER_BLOCK * this.dim));
    return { block: this.blocks[blockIndex], offset: (this.row % ROWS_PER_BLOCK) * this.dim };
  }

  private error(message: string): DataError {
    return new DataError('embeddings-bad-line', `${this.file}:${this.line}: ${message}`);
  }
}

function trimEnd(data: Buffer, start: number, end: number): number {
  while (end > start && (data[end - 1] === 0x0d || data[end - 1] === SPACE)) end--;
  return end;
}

function preview(data: Buffer, start: number, end: number): string {
  const text = data.toString('utf8', start, Math.min(end, start + 60));
  return end - start > 60 ? `${text}…` : text;
}
