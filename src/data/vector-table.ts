/**
 * An in-memory table of pretrained vectors with an index of its words, and the binary cache that
 * holds both as they lie in memory, so that reloading a table is one read and no indexing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { withFileLock } from '../fs-lock.js';
import { notice as defaultNotice } from '../terminal.js';
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

const MAGIC = 'ATNEMB03';

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

const DIGEST_BYTES = 32;
/** Magic, five u32 sizes, the SHA-256 of the source's identity, the SHA-256 of everything after the header. */
const HEADER_BYTES = 28 + 2 * DIGEST_BYTES;
const SOURCE_DIGEST_AT = 28;
const CONTENT_DIGEST_AT = 28 + DIGEST_BYTES;

/**
 * Byte offsets of the sections: the header (magic, u32 dim, size, id bytes, word bytes, slot
 * count, source digest, content digest), the source id, padding to 4, the word starts (i32 ×
 * size + 1), the slots (i32), the words, padding to 4, then the float32 matrix.
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

function sha256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
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
  const body = [
    id, padding(HEADER_BYTES + id.length, layout.starts),
    bytesOf(starts), bytesOf(slots), bytes, padding(layout.words + bytes.length, layout.matrix),
    bytesOf(table.vectors.subarray(0, table.size * table.dim)),
  ];
  sha256(id).copy(header, SOURCE_DIGEST_AT);
  sha256(...body).copy(header, CONTENT_DIGEST_AT);
  const sections = [header, ...body];
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

/** A cache file read back: its table, or why it cannot be used. */
export type CacheInspection =
  | { readonly state: 'valid'; readonly table: VectorTable }
  | { readonly state: 'missing' }
  | { readonly state: 'stale' | 'damaged'; readonly reason: string };

/**
 * Reads and verifies the cache file at `path` for `sourceId`: its format, its sizes, the digest
 * of its source (a file built from another source is stale) and the digest of its content (a
 * truncated, shifted or overwritten file is damaged). Only a verified table is returned.
 */
export async function inspectBinaryCache(path: string, sourceId: string): Promise<CacheInspection> {
  const read = await readFile(path).catch(() => undefined);
  if (!read) return { state: 'missing' };
  if (read.length < HEADER_BYTES) return { state: 'damaged', reason: `it has ${read.length} bytes, fewer than its ${HEADER_BYTES}-byte header` };
  if (read.toString('latin1', 0, 8) !== MAGIC) return { state: 'stale', reason: `it is not of the current format ${MAGIC}` };
  // The sections are read in place as typed arrays, which need 4-byte alignment.
  const file = read.byteOffset % 4 === 0 ? read : Buffer.from(new Uint8Array(read).buffer);
  const [dim, size, idBytes, wordBytes, slotCount] = [8, 12, 16, 20, 24].map((at) => file.readUInt32LE(at));
  const layout = cacheLayout({ dim, size, idBytes, wordBytes, slotCount });
  if (file.length !== layout.end) return { state: 'damaged', reason: `expected ${layout.end} bytes from its header, found ${file.length}` };
  const storedId = file.subarray(layout.id, layout.id + idBytes);
  if (!sha256(storedId).equals(file.subarray(SOURCE_DIGEST_AT, SOURCE_DIGEST_AT + DIGEST_BYTES))) {
    return { state: 'damaged', reason: 'the digest of its source identity does not match' };
  }
  if (storedId.toString('utf8') !== sourceId) {
    return { state: 'stale', reason: `it was built from another source (${storedId.toString('utf8').slice(0, 120)})` };
  }
  if (!sha256(file.subarray(HEADER_BYTES)).equals(file.subarray(CONTENT_DIGEST_AT, CONTENT_DIGEST_AT + DIGEST_BYTES))) {
    return { state: 'damaged', reason: 'the checksum of its content does not match (bytes changed, shifted or lost)' };
  }
  const at = (section: number) => file.byteOffset + section;
  const starts = new Int32Array(file.buffer, at(layout.starts), size + 1);
  const slots = new Int32Array(file.buffer, at(layout.slots), slotCount);
  if (starts[0] !== 0 || starts[size] !== wordBytes || slotCount < 2 * size || (slotCount & (slotCount - 1)) !== 0) {
    return { state: 'damaged', reason: 'its word index is inconsistent' };
  }
  const index = new WordIndex(file.subarray(layout.words, layout.words + wordBytes), starts, slots);
  return { state: 'valid', table: new VectorTable(index, new Float32Array(file.buffer, at(layout.matrix), size * dim), dim) };
}

/** The cached table, or undefined when there is none for `sourceId` (or it is damaged, or of an older format). */
export async function readBinaryCache(path: string, sourceId: string): Promise<VectorTable | undefined> {
  const inspection = await inspectBinaryCache(path, sourceId);
  return inspection.state === 'valid' ? inspection.table : undefined;
}

/**
 * Loads through the binary cache: a verified hit is one read; a miss parses the source and fills
 * the cache. A stale or damaged cache file is never used: it is rebuilt from the source, with a
 * notice saying why. A damaged source is an error of the parser (file and line).
 */
export async function loadWithBinaryCache(
  cacheDir: string,
  sourceId: string,
  parse: () => Promise<VectorTable>,
  notice: (message: string) => void = defaultNotice,
): Promise<VectorTable> {
  const path = binaryCachePath(cacheDir, sourceId);
  const inspection = await inspectBinaryCache(path, sourceId);
  if (inspection.state === 'valid') return inspection.table;
  // Cold tasks starting together (a job array): one converts, the others wait and read its file.
  return withFileLock(
    `${path}.lock`,
    async () => {
      const late = await inspectBinaryCache(path, sourceId);
      if (late.state === 'valid') return late.table;
      if (late.state !== 'missing') notice(`embeddings cache ${path} is ${late.state}: ${late.reason}; rebuilding it from the source`);
      const table = await parse();
      await writeBinaryCache(path, sourceId, table);
      return table;
    },
    { staleMs: 10 * 60_000, timeoutMs: 30 * 60_000 },
  );
}
