import test from 'ava';
import { silentProgress } from '../../../src/progress.js';
import { loadPluginKit } from '../../../src/scaffold/plugin-kit.js';

const kit = await loadPluginKit('dataset', 'plugins/dataset/synthetic.ts');
const context = { cacheDir: '/nonexistent', progress: silentProgress, configDir: '.' };

test('the schema accepts the defaults and rejects an unknown key', async (t) => {
  t.deepEqual(await kit.params(), { size: 2000, test_size: 500, min_length: 10, max_length: 40, planted: 2, val_fraction: 0.1, seed: 1 });
  await t.throwsAsync(kit.params({ length: 5 }));
});

test('it builds through the container from a YAML block', async (t) => {
  const dataset = await kit.build('{ type: synthetic, size: 100, test_size: 20, seed: 5 }', context);
  const corpus = await dataset.load();
  t.is(corpus.train.length + corpus.validation.length, 100);
  t.is(corpus.test.length, 20);
  const again = await (await kit.build('{ type: synthetic, size: 100, test_size: 20, seed: 5 }', context)).load();
  t.deepEqual(again, corpus);
});
