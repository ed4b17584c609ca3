/**
 * The whole path a user takes with a tracking server that is down: `attnlab run` still trains
 * and finishes, `attnlab sync` later delivers every metric exactly once, a second sync sends nothing.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeMlflow } from '../fixtures/mlflow/fake-server.js';
import { openTracker } from '../../src/tracking/tracker.js';
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

test('attnlab sync waits out its retries, then lists what is pending and exits 1', async (t) => {
  const server = await startFakeMlflow();
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-sync-'));
  server.failures = { count: 1_000_000, status: 503 };
  const tracker = await openTracker({
    uri: server.url,
    experiment: 'offline',
    runName: 'epochs',
    env: { USER: 'alice' },
    journalDir: join(folder, '.attnlab', 'journal'),
    flushTimeoutMs: 50,
    retry: { baseMs: 10, maxMs: 10, maxAttempts: 1 },
    onNotice: () => undefined,
  });
  await tracker.logMetrics({ val_accuracy: 0.5 }, 0);
  await tracker.logMetrics({ val_accuracy: 0.6 }, 1);
  await tracker.end('FINISHED');
  const before = server.requests.length;

  const sync = await runCli(['sync'], { cwd: folder, env: { MLFLOW_TRACKING_URI: '' } });
  t.is(sync.code, 1, sync.stdout + sync.stderr);
  t.regex(sync.stdout, /^pending +epochs — 0 sent, 4 pending \(1 open, 2 metrics, 1 end\): .*injected failure/m);
  // The first event is tried 4 times, with backoff between the attempts; a retry timer that let
  // Node exit would end the process after the first (exit code 13, nothing printed).
  t.is(server.requests.length - before, 4);
  await server.stop();
});
