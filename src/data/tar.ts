/**
 * A streaming reader of tar archives (plain or gzip-compressed): ustar, pax (`path`, `size`) and
 * GNU long names. It yields regular files only and never writes to disk; bodies the filter rejects
 * are skipped without being copied.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { DataError } from '../errors.js';

export interface TarEntry {
  /** Path inside the archive, `/`-separated, as stored (pax and GNU long names applied). */
  readonly path: string;
  readonly size: number;
  readonly body: Buffer;
}

export interface TarReadOptions {
  /** Which entries to read; the others' bodies are skipped. All when absent. */
  readonly filter?: (path: string) => boolean;
}

const BLOCK = 512;
const GZIP_MAGIC = 0x1f8b;

/** Yields the regular files of the archive at `file`, in archive order. */
export async function* readTar(file: string, options: TarReadOptions = {}): AsyncGenerator<TarEntry> {
  const parser = new TarParser(file, options.filter ?? (() => true));
  try {
    for await (const chunk of await openDecompressed(file)) {
      parser.push(chunk as Buffer);
      yield* parser.drain();
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError('archive-corrupt', `${file}: cannot read the archive (${describe(error)}); the file is damaged or incomplete, download it again`, error);
  }
  parser.finish();
}

async function openDecompressed(file: string): Promise<Readable> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw new DataError('archive-missing', `${file}: cannot open the archive (${describe(error)})`, error);
  });
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (magic.readUInt16BE(0) !== GZIP_MAGIC) return raw;
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where the parser is: expecting a header, or inside an entry's body (plus its padding). */
type State =
  | { readonly kind: 'header' }
  | { readonly kind: 'body'; readonly header: Header; readonly wanted: boolean; remaining: number }
  | { readonly kind: 'end' };

interface Header {
  readonly path: string;
  readonly size: number;
  readonly type: string;
  readonly offset: number;
}

class TarParser {
  private readonly queue = new ChunkQueue();
  private state: State = { kind: 'header' };
  /** Archive offset of the queue's first byte, for error messages. */
  private offset = 0;
  /** Overrides from a preceding pax header or GNU long-name entry. */
  private nextPath: string | undefined;
  private nextSize: number | undefined;

  constructor(
    private readonly file: string,
    private readonly filter: (path: string) => boolean,
  ) {}

  push(chunk: Buffer): void {
    if (this.state.kind !== 'end') this.queue.push(chunk);
  }

  *drain(): Generator<TarEntry> {
    for (;;) {
      const state = this.state;
      if (state.kind === 'end') return;
      if (state.kind === 'header') {
        if (this.queue.available < BLOCK) return;
        this.readHeader(this.take(BLOCK));
        continue;
      }
      if (!state.wanted) {
        const skipped = Math.min(state.remaining, this.queue.available);
        this.queue.discard(skipped);
        this.offset += skipped;
        state.remaining -= skipped;
        if (state.remaining > 0) return;
        this.state = { kind: 'header' };
        continue;
      }
      const padded = paddedSize(state.header.size);
      if (this.queue.available < padded) return;
      const body = this.take(padded).subarray(0, state.header.size);
      this.state = { kind: 'header' };
      const entry = this.complete(state.header, body);
      if (entry) yield entry;
    }
  }

  /** Called at the end of the stream: anything but a clean entry boundary means truncation. */
  finish(): void {
    const inEntry = this.state.kind === 'body' || this.queue.available > 0;
    if (this.state.kind !== 'end' && inEntry) {
      throw new DataError('archive-truncated', `${this.file}: the archive ends in the middle of an entry (at byte ${this.offset + this.queue.available} of the tar stream); the file is incomplete, download it again`);
    }
  }

  private take(length: number): Buffer {
    this.offset += length;
    return this.queue.read(length);
  }

  private readHeader(block: Buffer): void {
    const offset = this.offset - BLOCK;
    if (isZeroBlock(block)) {
      // Two zero blocks end the archive; one is enough to stop, trailing bytes are padding.
      this.state = { kind: 'end' };
      return;
    }
    verifyChecksum(block, this.file, offset);
    const type = String.fromCharCode(block[156] || 0x30);
    const size = this.nextSize ?? parseNumber(block, 124, 12);
    const path = this.nextPath ?? headerPath(block);
    const isMetadata = type === 'x' || type === 'L' || type === 'g' || type === 'K';
    if (!isMetadata) {
      this.nextPath = undefined;
      this.nextSize = undefined;
    }
    const isFile = type === '0' || type === '7';
    const wanted = isMetadata ? type !== 'g' : isFile && this.filter(path);
    const header: Header = { path, size, type, offset };
    this.state = { kind: 'body', header, wanted, remaining: paddedSize(size) };
  }

  private complete(header: Header, body: Buffer): TarEntry | undefined {
    if (header.type === 'L') {
      this.nextPath = body.toString('utf8').replace(/\0+$/, '');
      return undefined;
    }
    if (header.type === 'K') return undefined;
    if (header.type === 'x') {
      this.applyPax(body, header.offset);
      return undefined;
    }
    return { path: header.path, size: header.size, body };
  }

  /** Pax records are `<length> <key>=<value>\n`; only `path` and `size` matter here. */
  private applyPax(body: Buffer, offset: number): void {
    let position = 0;
    while (position < body.length && body[position] !== 0) {
      const space = body.indexOf(0x20, position);
      const length = Number(body.toString('latin1', position, space));
      if (space < 0 || !Number.isInteger(length) || length <= 0) {
        throw new DataError('archive-corrupt', `${this.file}: malformed pax header at byte ${offset} of the tar stream`);
      }
      const record = body.toString('utf8', space + 1, position + length - 1);
      const equals = record.indexOf('=');
      const key = record.slice(0, equals);
      const value = record.slice(equals + 1);
      if (key === 'path') this.nextPath = value;
      if (key === 'size') this.nextSize = Number(value);
      position += length;
    }
  }
}

function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** The sum of the header's bytes, its checksum field (bytes 148–155) counting as spaces. */
function verifyChecksum(block: Buffer, file: string, offset: number): void {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i];
  for (let i = 156; i < BLOCK; i++) sum += block[i];
  const stored = parseNumber(block, 148, 8);
  if (stored !== sum) {
    throw new DataError('archive-corrupt', `${file}: bad tar header checksum at byte ${offset} of the tar stream (stored ${stored}, computed ${sum}); the archive is damaged`);
  }
}

/** Octal ASCII, or GNU base-256 when the high bit of the first byte is set (sizes ≥ 8 GiB). */
function parseNumber(block: Buffer, start: number, length: number): number {
  if (block[start] & 0x80) {
    let value = block[start] & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i];
    return value;
  }
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const byte = block[i];
    if (byte >= 0x30 && byte <= 0x37) value = value * 8 + (byte - 0x30);
    else if (byte === 0 || (byte === 0x20 && value > 0)) break;
  }
  return value;
}

function headerPath(block: Buffer): string {
  const name = cString(block, 0, 100);
  const isUstar = block.toString('latin1', 257, 262) === 'ustar';
  const prefix = isUstar ? cString(block, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end < 0 || end > start + length ? start + length : end);
}

/** A FIFO of buffers; reads within one chunk are zero-copy. */
class ChunkQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  available = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** `length` bytes; the caller has checked `available`. */
  read(length: number): Buffer {
    const first = this.chunks[0];
    if (first.length - this.head >= length) {
      const slice = first.subarray(this.head, this.head + length);
      this.advance(length);
      return slice;
    }
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[0];
      const count = Math.min(chunk.length - this.head, length - filled);
      chunk.copy(out, filled, this.head, this.head + count);
      filled += count;
      this.advance(count);
    }
    return out;
  }

  discard(length: number): void {
    let left = length;
    while (left > 0) {
      const count = Math.min(this.chunks[0].length - this.head, left);
      this.advance(count);
      left -= count;
    }
  }

  private advance(count: number): void {
    this.head += count;
    this.available -= count;
    if (this.head === this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
