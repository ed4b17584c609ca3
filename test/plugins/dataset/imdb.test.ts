import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMDB_SHA256, IMDB_URL } from '../../../src/data/imdb.js';
import { silentProgress } from '../../../src/progress.js';
import { loadPluginKit } from '../../../src/scaffold/plugin-kit.js';
import { makeImdbFiles, makeTarGz, temporaryFolder } from '../../fixtures/data/archives.js';

const kit = await loadPluginKit('dataset', 'plugins/dataset/imdb.ts');

test('the schema accepts the defaults and rejects an unknown key', async (t) => {
  t.deepEqual(await kit.params(), { path: '', url: IMDB_URL, sha256: IMDB_SHA256, val_fraction: 0.1, train_limit: 0, test_limit: 0 });
  await t.throwsAsync(kit.params({ limit: 5 }));
  await t.throwsAsync(kit.params({ sha256: 'abc' }));
});

test('it builds through the container from a YAML block and loads an archive', async (t) => {
  const folder = temporaryFolder();
  writeFileSync(join(folder, 'small.tar.gz'), makeTarGz(makeImdbFiles(6)));
  const dataset = await kit.build('{ type: imdb, path: small.tar.gz, val_fraction: 0.25, test_limit: 4 }', { cacheDir: join(folder, 'cache'), progress: silentProgress, configDir: folder });
  const corpus = await dataset.load();
  t.deepEqual(corpus.labels, ['neg', 'pos']);
  t.is(corpus.validation.length, 3);
  t.is(corpus.train.length, 9);
  t.is(corpus.test.length, 4);
});
