import test from 'ava';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/errors.js';
import { randomEmbeddings, textFileEmbeddings } from '../../src/data/embeddings.js';
import { binaryCachePath, readBinaryCache, VectorTable, writeBinaryCache } from '../../src/data/vector-table.js';
import { parseVectorText } from '../../src/data/vector-text.js';
import { readZipMember } from '../../src/data/zip.js';
import type { EmbeddingsContext } from '../../src/plugin-api.js';
import { silentProgress } from '../../src/progress.js';
import { makeZip, temporaryFolder } from '../fixtures/data/archives.js';

const glove = 'the 0.418 0.24968 -0.41242\n, 0.013441 0.23682 -0.16899\n"é" -1e-3 2.5E+1 3\n';

function context(folder: string): EmbeddingsContext {
  return { cacheDir: join(folder, 'cache'), progress: silentProgress, seed: 0, configDir: folder };
}

async function* chunksOf(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

function vector(table: VectorTable, word: string): number[] {
  const row = table.indexOf(word);
  return [...table.vectors.subarray(row * table.dim, (row + 1) * table.dim)];
}

test('parses GloVe text whatever the chunk boundaries', async (t) => {
  for (const size of [1, 7, 1000]) {
    const table = await parseVectorText(chunksOf(glove, size), 'g.txt');
    t.is(table.dim, 3);
    t.deepEqual(table.words, ['the', ',', '"é"']);
    t.deepEqual(vector(table, 'the'), [0.418, 0.24968, -0.41242].map(Math.fround));
    t.deepEqual(vector(table, '"é"'), [-0.001, 25, 3].map(Math.fround));
    t.is(table.indexOf('missing'), -1);
  }
});

test('reads word2vec text with its `count dim` header, and CRLF lines', async (t) => {
  const table = await parseVectorText(chunksOf('2 2\r\nfoo 1 2\r\nbar 3 4\r\n', 5), 'w.txt');
  t.is(table.dim, 2);
  t.deepEqual(vector(table, 'bar'), [3, 4]);
});

test('a line with the wrong dimension names the file and line', async (t) => {
  const bad = 'the 1 2 3\nof 4 5 6\nand 7 8\n';
  const error = await t.throwsAsync(parseVectorText(chunksOf(bad, 4), 'vectors.txt'), { instanceOf: DataError });
  t.is(error?.message, 'vectors.txt:3: expected 3 numbers after the word, found 2');
  const word2vec = '2 3\nthe 1 2 3 4\n';
  await t.throwsAsync(parseVectorText(chunksOf(word2vec, 100), 'w2v.txt'), { message: /^w2v\.txt:2: expected 3 numbers/ });
  await t.throwsAsync(parseVectorText(chunksOf('the 1 x 3\n', 100), 'n.txt'), { message: /^n\.txt:1: `x 3` is not a number/ });
});

test('the text-file source reads .txt.gz and fills the binary cache keyed by path, size and mtime', async (t) => {
  const folder = temporaryFolder();
  writeFileSync(join(folder, 'vectors.txt.gz'), gzipSync(glove));
  const embeddings = await textFileEmbeddings({ path: 'vectors.txt.gz', trainable: false }, context(folder));
  t.true(embeddings.sourceId.includes(join(folder, 'vectors.txt.gz')));
  t.true(embeddings.sourceId.includes(String(statSync(join(folder, 'vectors.txt.gz')).size)));
  const first = await embeddings.load();
  const cached = await readBinaryCache(binaryCachePath(join(folder, 'cache'), embeddings.sourceId), embeddings.sourceId);
  t.truthy(cached);
  t.deepEqual(vector(cached!, ','), vector(first as VectorTable, ','));
  // A cache hit does not read the source at all.
  rmSync(join(folder, 'vectors.txt.gz'));
  const second = await embeddings.load();
  t.deepEqual([...second.vectors], [...first.vectors]);
});

test('binary cache round trip, and a different source id misses', async (t) => {
  const folder = temporaryFolder();
  const table = new VectorTable(['a', 'b\u00e9', ''], Float32Array.from([1, 2, 3, 4, 5, 6]), 2);
  const path = join(folder, 'x.bin');
  await writeBinaryCache(path, 'id-1', table);
  const back = await readBinaryCache(path, 'id-1');
  t.deepEqual(back?.words, ['a', 'b\u00e9', '']);
  t.deepEqual([...(back?.vectors ?? [])], [1, 2, 3, 4, 5, 6]);
  t.is(back?.indexOf('b\u00e9'), 1);
  t.is(await readBinaryCache(path, 'id-2'), undefined);
  t.is(await readBinaryCache(join(folder, 'none.bin'), 'id-1'), undefined);
});

test('the index finds every word, before and after the cache; a repeated word keeps its last row', async (t) => {
  const words = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `mot-${i}-\u00e9\u4e2d` : `w${i.toString(36)}`));
  // Halves of a surrogate pair in two words (which UTF-8 cannot keep) stay apart.
  words.push('w1', '', 'half \ud83d', '\ude00 half');
  const table = new VectorTable(words, new Float32Array(words.length), 1);
  const path = join(temporaryFolder(), 'index.bin');
  await writeBinaryCache(path, 'id', table);
  const back = await readBinaryCache(path, 'id');
  const expected = words.map((word) => words.lastIndexOf(word));
  t.deepEqual(words.map((word) => table.indexOf(word)), expected);
  t.deepEqual(words.map((word) => back?.indexOf(word)), expected);
  t.deepEqual(['w', 'mot-0-\u00e9', 'W1', 'w1 '].map((word) => back?.indexOf(word)), [-1, -1, -1, -1]);
  t.deepEqual(back?.words.slice(0, -2), words.slice(0, -2));
});

test('a cache file of another format is a miss', async (t) => {
  const path = join(temporaryFolder(), 'old.bin');
  writeFileSync(path, Buffer.concat([Buffer.from('ATNEMB01'), Buffer.alloc(64)]));
  t.is(await readBinaryCache(path, 'id'), undefined);
});

test('reads a zip member, deflated or stored', async (t) => {
  const folder = temporaryFolder();
  for (const stored of [false, true]) {
    const file = join(folder, `g${stored}.zip`);
    writeFileSync(file, makeZip([{ path: 'glove.6B.50d.txt', body: 'x 1\n' }, { path: 'glove.6B.100d.txt', body: glove.repeat(200) }], { stored }));
    const chunks: Buffer[] = [];
    for await (const chunk of readZipMember(file, 'glove.6B.100d.txt')) chunks.push(chunk);
    t.is(Buffer.concat(chunks).toString(), glove.repeat(200));
  }
});

test('a corrupt or truncated zip, or a missing member, is a clear DataError', async (t) => {
  const folder = temporaryFolder();
  const zip = makeZip([{ path: 'glove.6B.100d.txt', body: glove.repeat(200) }]);
  const read = async (bytes: Buffer, member = 'glove.6B.100d.txt') => {
    const file = join(folder, `z${Math.random()}.zip`);
    writeFileSync(file, bytes);
    for await (const _ of readZipMember(file, member));
  };
  await t.throwsAsync(read(zip.subarray(0, zip.length - 30)), { instanceOf: DataError, message: /end-of-central-directory/ });
  const damaged = Buffer.from(zip);
  damaged[60] ^= 0xff;
  await t.throwsAsync(read(damaged), { instanceOf: DataError, message: /damaged/ });
  await t.throwsAsync(read(zip, 'glove.6B.300d.txt'), { instanceOf: DataError, message: /no member glove\.6B\.300d\.txt; it holds glove\.6B\.100d\.txt/ });
});

test('random embeddings: seeded, and a word keeps its vector whatever the others', async (t) => {
  const load = (words: string[], seed: number) => randomEmbeddings({ dim: 4, seed, words, trainable: false }).load();
  const small = await load(['good', 'bad'], 1);
  const large = await load(['film', 'bad', 'good'], 1);
  t.deepEqual(vector(small as VectorTable, 'good'), vector(large as VectorTable, 'good'));
  t.notDeepEqual(vector(small as VectorTable, 'good'), vector(await load(['good'], 2) as VectorTable, 'good'));
  t.true([...large.vectors].every((value) => value >= -0.5 && value < 0.5));
});

test('converting a vectors file reports every word it reads, then ends its progress line', async (t) => {
  const events: string[] = [];
  let words = 0;
  const progress = {
    start: (label: string) => {
      events.push(`start ${label}`);
      return { tick: (amount: number) => void (words += amount), status() {}, done: () => void events.push('done') };
    },
  };
  const table = await parseVectorText(chunksOf(glove, 7), 'dir/g.txt', progress);
  t.deepEqual(events, ['start converting g.txt to the binary cache', 'done']);
  t.is(words, table.size);
  await t.throwsAsync(parseVectorText(chunksOf('the 1 2\nof 3\n', 4), 'bad.txt', progress));
  t.is(events.at(-1), 'done', 'a failed conversion ends its progress line too');
});
