/**
 * Reads one member of a zip archive (stored or deflated) as a stream, from the central
 * directory, checking its size and CRC-32. No extraction to disk.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInflateRaw, crc32 } from 'node:zlib';
import type { Readable } from 'node:stream';
import { DataError } from '../errors.js';

export interface ZipMember {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;
const ZIP64_MARKER = 0xffffffff;

/** The members listed in the archive's central directory. */
export async function listZip(file: string): Promise<ZipMember[]> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw new DataError('archive-missing', `${file}: cannot open the zip archive (${(error as Error).message})`, error);
  });
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 22 + 65_535);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    const end = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (end < 0 || tail.readUInt32LE(end) !== END_OF_DIRECTORY) throw corrupt(file, 'no end-of-central-directory record (not a zip file, or truncated)');
    const directorySize = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    if (directoryOffset === ZIP64_MARKER) throw corrupt(file, 'ZIP64 archives are not supported');
    if (directoryOffset + directorySize > size) throw corrupt(file, 'the central directory lies past the end of the file (truncated)');
    const directory = Buffer.alloc(directorySize);
    await handle.read(directory, 0, directorySize, directoryOffset);
    return parseDirectory(directory, tail.readUInt16LE(end + 10), file);
  } finally {
    await handle.close();
  }
}

function parseDirectory(directory: Buffer, count: number, file: string): ZipMember[] {
  const members: ZipMember[] = [];
  let position = 0;
  for (let index = 0; index < count; index++) {
    if (position + 46 > directory.length || directory.readUInt32LE(position) !== DIRECTORY_ENTRY) throw corrupt(file, `bad central directory entry ${index + 1}`);
    const nameLength = directory.readUInt16LE(position + 28);
    members.push({
      method: directory.readUInt16LE(position + 10),
      crc: directory.readUInt32LE(position + 16),
      compressedSize: directory.readUInt32LE(position + 20),
      size: directory.readUInt32LE(position + 24),
      localHeaderOffset: directory.readUInt32LE(position + 42),
      name: directory.toString('utf8', position + 46, position + 46 + nameLength),
    });
    position += 46 + nameLength + directory.readUInt16LE(position + 30) + directory.readUInt16LE(position + 32);
  }
  return members;
}

/** The uncompressed bytes of member `name`, chunk by chunk; a DataError when damaged. */
export async function* readZipMember(file: string, name: string): AsyncGenerator<Buffer> {
  const members = await listZip(file);
  const member = members.find((candidate) => candidate.name === name);
  if (!member) throw new DataError('zip-member-missing', `${file}: no member ${name}; it holds ${members.map((m) => m.name).join(', ') || 'nothing'}`);
  if (member.method !== STORED && member.method !== DEFLATED) throw corrupt(file, `${name} uses compression method ${member.method}; only stored and deflated are supported`);
  let crc = 0;
  let size = 0;
  try {
    for await (const chunk of await memberStream(file, member)) {
      crc = crc32(chunk as Buffer, crc);
      size += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw corrupt(file, `${name} cannot be decompressed (${(error as Error).message})`, error);
  }
  if (size !== member.size || crc >>> 0 !== member.crc) throw corrupt(file, `${name} is damaged (size ${size} of ${member.size}, CRC ${crc >>> 0 === member.crc ? 'ok' : 'mismatch'})`);
}

async function memberStream(file: string, member: ZipMember): Promise<Readable> {
  const header = Buffer.alloc(30);
  const handle = await open(file, 'r');
  try {
    await handle.read(header, 0, 30, member.localHeaderOffset);
  } finally {
    await handle.close();
  }
  if (header.readUInt32LE(0) !== LOCAL_HEADER) throw corrupt(file, `bad local header for ${member.name}`);
  const start = member.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const raw = createReadStream(file, { start, end: start + member.compressedSize - 1, highWaterMark: 1 << 20 });
  if (member.method === STORED) return raw;
  const inflate = createInflateRaw({ chunkSize: 1 << 18 });
  raw.on('error', (error) => inflate.destroy(error));
  return raw.pipe(inflate);
}

function corrupt(file: string, reason: string, cause?: unknown): DataError {
  return new DataError('archive-corrupt', `${file}: ${reason}; the zip archive is damaged or incomplete, download it again`, cause);
}
