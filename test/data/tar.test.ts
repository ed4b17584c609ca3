import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { readTar, type TarEntry } from '../../src/data/tar.js';
import { makeTar, makeTarGz, temporaryFolder } from '../fixtures/data/archives.js';

async function collect(file: string, filter?: (path: string) => boolean): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for await (const entry of readTar(file, { filter })) entries.push(entry);
  return entries;
}

function write(name: string, content: Buffer): string {
  const file = join(temporaryFolder(), name);
  writeFileSync(file, content);
  return file;
}

const longPath = `aclImdb/${'deep/'.repeat(30)}review.txt`;
const files = [
  { path: 'a/small.txt', body: 'hello' },
  { path: 'a/empty.txt', body: '' },
  { path: 'a/exact.bin', body: Buffer.alloc(512, 7) },
  { path: 'a/large.bin', body: Buffer.alloc(300_000, 3) },
  { path: longPath, body: 'long name' },
];

test('reads every file of a tar.gz with its path, size and body', async (t) => {
  const entries = await collect(write('x.tar.gz', makeTarGz(files)));
  t.deepEqual(entries.map((entry) => entry.path), files.map((file) => file.path));
  t.is(entries[0].body.toString(), 'hello');
  t.is(entries[1].size, 0);
  t.true(entries[2].body.equals(Buffer.alloc(512, 7)));
  t.is(entries[3].body.length, 300_000);
  t.is(entries[4].body.toString(), 'long name');
});

test('reads an uncompressed tar and GNU long names', async (t) => {
  const entries = await collect(write('x.tar', makeTar(files, { longNames: 'gnu' })));
  t.is(entries.at(-1)?.path, longPath);
  t.is(entries.length, files.length);
});

test('the filter skips bodies it rejects', async (t) => {
  const entries = await collect(write('x.tar.gz', makeTarGz(files)), (path) => path.endsWith('.txt'));
  t.deepEqual(entries.map((entry) => entry.path), ['a/small.txt', 'a/empty.txt', longPath]);
});

test('a truncated archive is a DataError naming the file', async (t) => {
  const whole = makeTar(files);
  const truncatedTar = write('cut.tar', whole.subarray(0, 2000));
  const error = await t.throwsAsync(collect(truncatedTar), { instanceOf: DataError });
  t.is(error?.code, 'archive-truncated');
  t.true(error?.message.includes(truncatedTar));
  const gz = makeTarGz(files);
  const truncatedGz = write('cut.tar.gz', gz.subarray(0, Math.floor(gz.length / 2)));
  const gzError = await t.throwsAsync(collect(truncatedGz), { instanceOf: DataError });
  t.true(gzError?.message.includes(truncatedGz));
});

test('a corrupt archive is a DataError, not a crash', async (t) => {
  const gz = makeTarGz(files);
  const damaged = Buffer.from(gz);
  for (let i = 20; i < 60; i++) damaged[i] ^= 0xff;
  const file = write('bad.tar.gz', damaged);
  await t.throwsAsync(collect(file), { instanceOf: DataError, message: new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
  const badHeader = makeTar(files);
  badHeader[10] ^= 0x01;
  const error = await t.throwsAsync(collect(write('header.tar', badHeader)), { instanceOf: DataError });
  t.regex(error?.message ?? '', /checksum/);
});

test('a missing archive is a DataError', async (t) => {
  await t.throwsAsync(collect(join(temporaryFolder(), 'nope.tar.gz')), { instanceOf: DataError, message: /nope\.tar\.gz/ });
});
