/**
 * An in-memory table of pretrained vectors with an index of its words, and the binary cache that
 * holds both as they lie in memory, so that reloading a table is one read and no indexing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { withFileLock } from '../fs-lock.js';
import type { EmbeddingTable } from '../plugin-api.js';
import { hashRange } from './token-hash.js';

const EMPTY = -1;

/**
 * The words of a table, and open-addressing slots that find a word's row: the words' UTF-8, each
 * followed by a newline (which keeps the halves of a broken surrogate pair in two words apart),
 * where each starts, and per slot the row of a word (EMPTY when free) that probing from its
 * `hashRange` reaches. Flat typed arrays, stored in the cache as they are.
 */
export class WordIndex {
  constructor(
    readonly bytes: Buffer,
    /** `size + 1` entries: row `r` is `bytes[starts[r], starts[r + 1] - 1)`. */
    readonly starts: Int32Array,
    /** A power of two, at least twice the number of rows, so that probes stay short. */
    readonly slots: Int32Array,
  ) {}

  /** A repeated word keeps its last row. */
  static build(words: readonly string[]): WordIndex {
    const bytes = Buffer.from(words.map((word) => `${word}\n`).join(''), 'utf8');
    const starts = new Int32Array(words.length + 1);
    words.forEach((word, row) => {
      starts[row + 1] = starts[row] + Buffer.byteLength(word, 'utf8') + 1;
    });
    const slots = new Int32Array(slotCount(words.length)).fill(EMPTY);
    const mask = slots.length - 1;
    words.forEach((word, row) => {
      let slot = hashRange(word, 0, word.length) & mask;
      while (slots[slot] !== EMPTY && words[slots[slot]] !== word) slot = (slot + 1) & mask;
      slots[slot] = row;
    });
    return new WordIndex(bytes, starts, slots);
  }

  get size(): number {
    return this.starts.length - 1;
  }

  rowOf(word: string): number {
    const key = utf8(word);
    const { slots } = this;
    const mask = slots.length - 1;
    for (let slot = hashRange(word, 0, word.length) & mask; ; slot = (slot + 1) & mask) {
      const row = slots[slot];
      if (row === EMPTY || this.wordEquals(row, key)) return row;
    }
  }

  word(row: number): string {
    return this.bytes.toString('utf8', this.starts[row], this.starts[row + 1] - 1);
  }

  private wordEquals(row: number, key: Uint8Array): boolean {
    const { bytes, starts } = this;
    const start = starts[row];
    if (starts[row + 1] - 1 - start !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (bytes[start + i] !== key[i]) return false;
    return true;
  }
}

function slotCount(size: number): number {
  let count = 16;
  while (count < 2 * size) count *= 2;
  return count;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** The UTF-8 of `text`, in a buffer reused by the next call. */
function utf8(text: string): Uint8Array {
  if (3 * text.length > scratch.length) scratch = new Uint8Array(3 * text.length);
  return scratch.subarray(0, encoder.encodeInto(text, scratch).written);
}

export class VectorTable implements EmbeddingTable {
  readonly index: WordIndex;
  private decodedWords: readonly string[] | undefined;

  /** `vectors` is row-major float32 [words.length, dim]; a repeated word keeps its last row. */
  constructor(words: readonly string[] | WordIndex, readonly vectors: Float32Array, readonly dim: number) {
    if (words instanceof WordIndex) {
      this.index = words;
    } else {
      this.index = WordIndex.build(words);
      this.decodedWords = words;
    }
  }

  get size(): number {
    return this.index.size;
  }

  /** Decoded on first use: reading a table from the cache decodes no word. */
  get words(): readonly string[] {
    this.decodedWords ??= Array.from({ length: this.size }, (_, row) => this.index.word(row));
    return this.decodedWords;
  }

  indexOf(token: string): number {
    return this.index.rowOf(token);
  }
}

const MAGIC = 'ATNEMB02';

/** `<cacheDir>/embeddings/<hash of the source id>.bin` */
export function binaryCachePath(cacheDir: string, sourceId: string): string {
  const key = createHash('sha256').update(sourceId).digest('hex').slice(0, 24);
  return join(cacheDir, 'embeddings', `${key}.bin`);
}

/** What the header of a cache file gives: the sizes of its sections. */
interface CacheShape {
  readonly dim: number;
  readonly size: number;
  readonly idBytes: number;
  readonly wordBytes: number;
  readonly slotCount: number;
}

const HEADER_BYTES = 28;

/**
 * Byte offsets of the sections: the header (magic, u32 dim, size, id bytes, word bytes, slot
 * count), the source id, padding to 4, the word starts (i32 × size + 1), the slots (i32), the
 * words, padding to 4, then the float32 matrix.
 */
function cacheLayout(shape: CacheShape) {
  const starts = align4(HEADER_BYTES + shape.idBytes);
  const slots = starts + 4 * (shape.size + 1);
  const words = slots + 4 * shape.slotCount;
  const matrix = align4(words + shape.wordBytes);
  return { id: HEADER_BYTES, starts, slots, words, matrix, end: matrix + 4 * shape.size * shape.dim };
}

function align4(offset: number): number {
  return offset + ((4 - (offset % 4)) % 4);
}

export async function writeBinaryCache(path: string, sourceId: string, table: VectorTable): Promise<void> {
  const id = Buffer.from(sourceId, 'utf8');
  const { bytes, starts, slots } = table.index;
  const shape: CacheShape = { dim: table.dim, size: table.size, idBytes: id.length, wordBytes: bytes.length, slotCount: slots.length };
  const layout = cacheLayout(shape);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  [shape.dim, shape.size, shape.idBytes, shape.wordBytes, shape.slotCount].forEach((value, i) => header.writeUInt32LE(value, 8 + 4 * i));
  const padding = (from: number, to: number) => Buffer.alloc(to - from);
  const sections = [
    header, id, padding(HEADER_BYTES + id.length, layout.starts),
    bytesOf(starts), bytesOf(slots), bytes, padding(layout.words + bytes.length, layout.matrix),
    bytesOf(table.vectors.subarray(0, table.size * table.dim)),
  ];
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, sections);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

function bytesOf(array: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** The cached table, or undefined when there is none for `sourceId` (or it is damaged, or of an older format). */
export async function readBinaryCache(path: string, sourceId: string): Promise<VectorTable | undefined> {
  const read = await readFile(path).catch(() => undefined);
  if (!read || read.length < HEADER_BYTES || read.toString('latin1', 0, 8) !== MAGIC) return undefined;
  // The sections are read in place as typed arrays, which need 4-byte alignment.
  const file = read.byteOffset % 4 === 0 ? read : Buffer.from(new Uint8Array(read).buffer);
  const [dim, size, idBytes, wordBytes, slotCount] = [8, 12, 16, 20, 24].map((at) => file.readUInt32LE(at));
  const layout = cacheLayout({ dim, size, idBytes, wordBytes, slotCount });
  if (file.length !== layout.end || file.toString('utf8', layout.id, layout.id + idBytes) !== sourceId) return undefined;
  const at = (section: number) => file.byteOffset + section;
  const starts = new Int32Array(file.buffer, at(layout.starts), size + 1);
  const slots = new Int32Array(file.buffer, at(layout.slots), slotCount);
  if (starts[0] !== 0 || starts[size] !== wordBytes || slotCount < 2 * size || (slotCount & (slotCount - 1)) !== 0) return undefined;
  const index = new WordIndex(file.subarray(layout.words, layout.words + wordBytes), starts, slots);
  return new VectorTable(index, new Float32Array(file.buffer, at(layout.matrix), size * dim), dim);
}

/** Loads through the binary cache: a hit is one read; a miss parses the source and fills the cache. */
export async function loadWithBinaryCache(cacheDir: string, sourceId: string, parse: () => Promise<VectorTable>): Promise<VectorTable> {
  const path = binaryCachePath(cacheDir, sourceId);
  const cached = await readBinaryCache(path, sourceId);
  if (cached) return cached;
  // Cold tasks starting together (a job array): one converts, the others wait and read its file.
  return withFileLock(
    `${path}.lock`,
    async () => {
      const late = await readBinaryCache(path, sourceId);
      if (late) return late;
      const table = await parse();
      await writeBinaryCache(path, sourceId, table);
      return table;
    },
    { staleMs: 10 * 60_000, timeoutMs: 30 * 60_000 },
  );
}
