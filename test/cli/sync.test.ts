/**
 * The whole path a user takes with a tracking server that is down: `attnlab run` still trains
 * and finishes, `attnlab sync` later delivers every metric exactly once, a second sync sends nothing.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeMlflow } from '../fixtures/mlflow/fake-server.js';
import { runCli } from '../helpers/cli.js';

test('a run against a server that is down finishes, and attnlab sync delivers it once', async (t) => {
  const server = await startFakeMlflow();
  const url = server.url;
  await server.stop();
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-sync-'));
  writeFileSync(
    join(folder, 'tiny.yaml'),
    'data: { type: synthetic, size: 200, test_size: 50 }\nembeddings: { type: random, dim: 8 }\ntrain: { epochs: 3, max_length: 32 }\n',
  );
  const env = { MLFLOW_TRACKING_URI: url, MLFLOW_EXPERIMENT_NAME: 'offline' };
  const run = await runCli(['run', 'tiny.yaml'], { cwd: folder, env });
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /attnlab sync/);

  await server.start();
  const sync = await runCli(['sync'], { cwd: folder, env });
  t.is(sync.code, 0, sync.stdout + sync.stderr);
  t.regex(sync.stdout, /^synced +tiny \(run [0-9a-f]{32}\)/m);
  t.is(server.runs.size, 1);
  const [stored] = server.runs.values();
  t.is(stored.status, 'FINISHED');
  t.is(stored.params.get('train.epochs'), '3');
  const points = stored.metrics.map((metric) => `${metric.key}@${metric.step}`);
  t.deepEqual(points.filter((point) => point.startsWith('val_accuracy@')).sort(), ['val_accuracy@1', 'val_accuracy@2', 'val_accuracy@3']);
  t.is(new Set(points).size, points.length, 'no metric point twice');
  t.true(stored.artifacts.has('config.yaml'));

  const again = await runCli(['sync'], { cwd: folder, env });
  t.is(again.code, 0);
  t.regex(again.stdout, /nothing to send/);
  t.is(server.runs.size, 1);
  await server.stop();
});
