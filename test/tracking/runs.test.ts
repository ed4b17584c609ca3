import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeMlflow } from '../fixtures/mlflow/fake-server.js';
import { listRuns } from '../../src/tracking/runs.js';
import { openTracker } from '../../src/tracking/tracker.js';

const env = { USER: 'alice' };

async function recordTwoRuns(uri: string, journalDir?: string): Promise<void> {
  const first = await openTracker({ uri, experiment: 'imdb', runName: 'first', env, journalDir });
  await first.logMetrics({ val_accuracy: 0.7 }, 0);
  await first.logMetrics({ val_accuracy: 0.8 }, 1);
  await first.logMetrics({ test_accuracy: 0.79 }, 1);
  await first.end('FINISHED');
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = await openTracker({ uri, experiment: 'imdb', runName: 'second', env, journalDir });
  await second.end('FAILED', new Error('diverged'));
}

test('recent runs of the file store, newest first, with their last metric values', async (t) => {
  const root = join(await mkdtemp(join(tmpdir(), 'attnlab-runs-')), 'runs');
  await recordTwoRuns(root);
  await openTracker({ uri: root, runName: 'elsewhere', env });
  const runs = await listRuns({ uri: root, experiment: 'imdb', env: {} });
  t.deepEqual(
    runs.map((run) => [run.runName, run.status]),
    [
      ['second', 'FAILED'],
      ['first', 'FINISHED'],
    ],
  );
  t.deepEqual(runs[1].metrics, { val_accuracy: 0.8, test_accuracy: 0.79 });
  t.true(runs[1].endTime !== undefined && runs[1].endTime >= runs[1].startTime);
  t.is((await listRuns({ uri: root, env: {} })).length, 3);
  t.is((await listRuns({ uri: root, env: {}, limit: 1 }))[0].runName, 'elsewhere');
});

test('recent runs of a tracking server, newest first, with their last metric values', async (t) => {
  const server = await startFakeMlflow();
  await recordTwoRuns(server.url, await mkdtemp(join(tmpdir(), 'attnlab-runs-journal-')));
  const runs = await listRuns({ uri: server.url, experiment: 'imdb', env: {} });
  t.deepEqual(
    runs.map((run) => [run.runName, run.status]),
    [
      ['second', 'FAILED'],
      ['first', 'FINISHED'],
    ],
  );
  t.deepEqual(runs[1].metrics, { val_accuracy: 0.8, test_accuracy: 0.79 });
  t.deepEqual(await listRuns({ uri: server.url, experiment: 'missing', env: {} }), []);
  await server.stop();
});
