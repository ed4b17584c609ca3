/** The shared cache: where it is, the tokenised-dataset cache, and cold tasks converting once. */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDirectory, datasetCacheKey, datasetCachePath, prepareWithCache } from '../../src/data/cache.js';
import { prepareData } from '../../src/data/prepare.js';
import { loadWithBinaryCache, VectorTable } from '../../src/data/vector-table.js';
import type { LabelledCorpus } from '../../src/plugin-api.js';

test('the cache folder follows ATTNLAB_CACHE, else XDG_CACHE_HOME, else ~/.cache', (t) => {
  t.is(cacheDirectory({ ATTNLAB_CACHE: '/shared/cache', XDG_CACHE_HOME: '/xdg' }), '/shared/cache');
  t.is(cacheDirectory({ XDG_CACHE_HOME: '/xdg' }), '/xdg/attnlab');
  t.regex(cacheDirectory({}), /\.cache\/attnlab$/);
});

const words = ['good', 'bad', 'film', 'plot', 'great', 'awful'];
const table = new VectorTable(words, Float32Array.from(words.flatMap((_, row) => [row, -row])), 2);
const examples = (count: number, from: number) =>
  Array.from({ length: count }, (_, index) => ({ id: `${from + index}`, text: `${words[(from + index) % 6]} film , ${words[(from + index * 5) % 6]} plot`, label: (from + index) % 2 }));
const corpus: LabelledCorpus = { labels: ['neg', 'pos'], train: examples(40, 0), validation: examples(10, 40), test: examples(10, 50) };

test('cold tasks starting together tokenise once; later ones read the same data back; other settings get their own entry', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'attnlab-cache-'));
  let tokenised = 0;
  const prepare: typeof prepareData = async (...args) => {
    tokenised++;
    return prepareData(...args);
  };
  const options = { maxLength: 16, cacheDir, embeddings: { type: 'test' }, cacheFrom: 0, prepare };
  const direct = await prepareData(corpus, table, { maxLength: 16 });
  const together = await Promise.all(Array.from({ length: 4 }, () => prepareWithCache(corpus, table, options)));
  t.is(tokenised, 1);
  for (const data of together) t.deepEqual(data, direct);
  t.true(existsSync(datasetCachePath(cacheDir, datasetCacheKey(corpus, { embeddings: { type: 'test' }, maxLength: 16 }))));
  t.deepEqual(await prepareWithCache(corpus, table, options), direct, 'read back from the file');
  t.is(tokenised, 1);
  await prepareWithCache(corpus, table, { ...options, maxLength: 8 });
  await prepareWithCache({ ...corpus, train: corpus.train.slice(1) }, table, options);
  t.is(tokenised, 3, 'a new maxLength or a changed corpus is tokenised anew');
});

test('cold tasks loading the same embeddings convert them once', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'attnlab-cache-'));
  let converted = 0;
  const parse = async () => {
    converted++;
    await new Promise((resolve) => setTimeout(resolve, 30));
    return new VectorTable(words, Float32Array.from(words.flatMap((_, row) => [row, row])), 2);
  };
  const tables = await Promise.all(Array.from({ length: 3 }, () => loadWithBinaryCache(cacheDir, 'test-source', parse)));
  t.is(converted, 1);
  t.true(tables.every((loaded) => loaded.size === words.length && loaded.indexOf('plot') === 3));
});

/** A dataset file as attnlab wrote it before the test split carried its words (format 1). */
function formatOneFile(key: string, data: Awaited<ReturnType<typeof prepareData>>): Buffer {
  const arrays = [data.embeddings, ...(['train', 'validation', 'test'] as const).flatMap((split) => [data[split].ids, data[split].offsets, data[split].labels])];
  const header = { format: 'attnlab-dataset-1', key, labels: data.labels, vocabulary: data.vocabulary, dim: data.dim, oovRate: data.oovRate, sections: arrays.map((array) => array.length) };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const lead = Buffer.alloc(4);
  lead.writeUInt32LE(json.length, 0);
  const padding = Buffer.alloc((4 - ((4 + json.length) % 4)) % 4);
  return Buffer.concat([lead, json, padding, ...arrays.map((array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength))]);
}

test('a dataset cached before the test split carried its words is tokenised anew, not misread', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'attnlab-cache-'));
  const key = datasetCacheKey(corpus, { embeddings: { type: 'test' }, maxLength: 16 });
  const direct = await prepareData(corpus, table, { maxLength: 16 });
  mkdirSync(join(cacheDir, 'datasets'));
  writeFileSync(datasetCachePath(cacheDir, key), formatOneFile(key, direct));
  let tokenised = 0;
  const prepare: typeof prepareData = async (...args) => {
    tokenised++;
    return prepareData(...args);
  };
  const read = await prepareWithCache(corpus, table, { maxLength: 16, cacheDir, embeddings: { type: 'test' }, cacheFrom: 0, prepare });
  t.is(tokenised, 1);
  t.deepEqual(read, direct);
  t.deepEqual(await prepareWithCache(corpus, table, { maxLength: 16, cacheDir, embeddings: { type: 'test' }, cacheFrom: 0, prepare }), direct, 'the rebuilt file is read back with its words');
  t.is(tokenised, 1);
});
