/** The embeddings binary cache is verified on every read: a damaged or stale file is rebuilt, never used. */
import test from 'ava';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVectorText } from '../../src/data/vector-text.js';
import { binaryCachePath, inspectBinaryCache, loadWithBinaryCache, VectorTable, writeBinaryCache } from '../../src/data/vector-table.js';
import { DataError } from '../../src/errors.js';

const WORDS = ['the', 'movie', 'was', 'great', 'awful', 'plot', 'actor', 'scene'];
const DIM = 4;

function table(words: readonly string[] = WORDS): VectorTable {
  const vectors = new Float32Array(words.length * DIM).map((_, i) => (i % 7) - 3 + i / 100);
  return new VectorTable(words, vectors, DIM);
}

/** A cache folder holding a valid cache file for `sourceId`, and that file's path. */
async function filledCache(sourceId = 'file:/data/glove.txt:100:1'): Promise<{ cacheDir: string; path: string; sourceId: string }> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'attnlab-cache-'));
  const path = binaryCachePath(cacheDir, sourceId);
  await writeBinaryCache(path, sourceId, table());
  return { cacheDir, path, sourceId };
}

/** Loads through the cache, counting parses of the source and collecting notices. */
async function load(cacheDir: string, sourceId: string): Promise<{ loaded: VectorTable; parses: number; notices: string[] }> {
  let parses = 0;
  const notices: string[] = [];
  const loaded = await loadWithBinaryCache(cacheDir, sourceId, async () => (parses++, table()), (message) => notices.push(message));
  return { loaded, parses, notices };
}

async function* chunks(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

function assertSameAsSource(t: import('ava').ExecutionContext, loaded: VectorTable): void {
  const truth = table();
  t.deepEqual([...loaded.words], [...truth.words]);
  t.deepEqual([...loaded.vectors], [...truth.vectors]);
  for (const [row, word] of WORDS.entries()) t.is(loaded.indexOf(word), row);
}

const corruptions: readonly { readonly kind: string; readonly corrupt: (bytes: Buffer) => Buffer; readonly says: RegExp }[] = [
  { kind: 'truncated', corrupt: (bytes) => bytes.subarray(0, bytes.length - 10), says: /damaged: expected \d+ bytes from its header, found \d+/ },
  {
    kind: 'words shifted by one',
    corrupt: (bytes) => {
      const text = bytes.toString('latin1');
      const at = text.indexOf('the\nmovie\n');
      // The words section moved one byte to the left, its last byte repeated: same size, every word off by one.
      const shifted = Buffer.from(bytes);
      bytes.copy(shifted, at, at + 1, at + WORDS.join('\n').length + 1);
      return shifted;
    },
    says: /damaged: the checksum of its content does not match/,
  },
  {
    kind: 'garbage bytes inside',
    corrupt: (bytes) => {
      const garbage = Buffer.from(bytes);
      garbage.fill(0xa5, garbage.length - 40, garbage.length - 24);
      return garbage;
    },
    says: /damaged: the checksum of its content does not match/,
  },
  {
    kind: 'garbage in the hash slots',
    corrupt: (bytes) => {
      const garbage = Buffer.from(bytes);
      // Slots that are all taken would make a lookup of an absent word probe forever.
      const slotsAt = bytes.indexOf(Buffer.from([0xff, 0xff, 0xff, 0xff]));
      garbage.fill(0x01, slotsAt, slotsAt + 64);
      return garbage;
    },
    says: /damaged: the checksum of its content does not match/,
  },
];

for (const { kind, corrupt, says } of corruptions) {
  test(`a cache file ${kind} is rebuilt from the source, with a notice`, async (t) => {
    const { cacheDir, path, sourceId } = await filledCache();
    writeFileSync(path, corrupt(readFileSync(path)));
    const { loaded, parses, notices } = await load(cacheDir, sourceId);
    t.is(parses, 1);
    t.is(notices.length, 1);
    t.regex(notices[0], says);
    t.regex(notices[0], /rebuilding it from the source/);
    assertSameAsSource(t, loaded);
    t.is((await inspectBinaryCache(path, sourceId)).state, 'valid');
  });
}

test('a cache file built from another source is rebuilt, with a notice', async (t) => {
  const other = await filledCache('file:/data/other.txt:5:1');
  const cacheDir = mkdtempSync(join(tmpdir(), 'attnlab-cache-'));
  const sourceId = 'file:/data/glove.txt:100:1';
  await writeBinaryCache(binaryCachePath(other.cacheDir, other.sourceId), other.sourceId, table(['x', 'y']));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(cacheDir, 'embeddings'), { recursive: true });
  copyFileSync(other.path, binaryCachePath(cacheDir, sourceId));
  const { loaded, parses, notices } = await load(cacheDir, sourceId);
  t.is(parses, 1);
  t.regex(notices[0] ?? '', /stale: it was built from another source \(file:\/data\/other\.txt/);
  assertSameAsSource(t, loaded);
});

test('a verified cache file is used without reading the source', async (t) => {
  const { cacheDir, sourceId } = await filledCache();
  const { loaded, parses, notices } = await load(cacheDir, sourceId);
  t.is(parses, 0);
  t.deepEqual(notices, []);
  assertSameAsSource(t, loaded);
});

test('a damaged source is an error naming its line, not a cache', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'attnlab-cache-'));
  const lines = ['the 0.1 0.2 0.3 0.4', 'movie 0.1 0.\u00e9\u0001 0.3 0.4', 'was 0.1 0.2 0.3 0.4'];
  const parse = () => parseVectorText(chunks(`${lines.join('\n')}\n`), 'glove.txt');
  const error = await t.throwsAsync(loadWithBinaryCache(cacheDir, 'file:glove.txt:1:1', parse, () => {}));
  t.true(error instanceof DataError);
  t.regex(error.message, /^glove\.txt:2: /);
  t.is((await inspectBinaryCache(binaryCachePath(cacheDir, 'file:glove.txt:1:1'), 'file:glove.txt:1:1')).state, 'missing');
});

test('a source with an infinite value is an error naming its line', async (t) => {
  const error = await t.throwsAsync(parseVectorText(chunks('the 0.1 0.2\nmovie 1e400 0.2\n'), 'glove.txt'));
  t.regex(error.message, /^glove\.txt:2: `1e400` is not a finite float32 number/);
});
