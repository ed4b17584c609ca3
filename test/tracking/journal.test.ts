import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { appendFile, cp, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeMlflow, startFakeMlflow } from '../fixtures/mlflow/fake-server.js';
import type { FakeRun } from '../fixtures/mlflow/fake-server.js';
import { KILLED_FLUSH_MS, syncJournals } from '../../src/tracking/journal.js';
import { openTracker } from '../../src/tracking/tracker.js';
import type { Tracker } from '../../src/tracking/tracker.js';

const fastRetry = { baseMs: 20, maxMs: 100 };
const syncRetry = { ...fastRetry, maxAttempts: 3 };

async function journalDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'attnlab-journal-'));
}

/** Waits at open and end long enough for a live server on a loaded machine, or briefly where the server dies. */
async function openRun(url: string, dir: string, options: { notices?: string[]; shortWaits?: boolean } = {}): Promise<Tracker> {
  const notices = options.notices ?? [];
  return openTracker({
    uri: url,
    experiment: 'imdb',
    runName: 'epochs',
    env: { USER: 'alice' },
    journalDir: dir,
    flushTimeoutMs: options.shortWaits ? 300 : 10_000,
    retry: fastRetry,
    onNotice: (message) => notices.push(message),
  });
}

async function logEpochs(tracker: Tracker, from: number, to: number): Promise<void> {
  for (let step = from; step < to; step++) {
    await tracker.logMetrics({ train_loss: 1 / (step + 1), val_accuracy: step / 10, 'attention/entropy': Number.NaN }, step);
  }
}

/** Each of the keys has exactly one stored point at each step in [0, steps). */
function assertEveryMetricOnce(t: ExecutionContext, run: FakeRun | undefined, steps: number): void {
  const seen = new Map<string, number>();
  for (const metric of run?.metrics ?? []) {
    const id = `${metric.key}@${metric.step}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const expected = new Map<string, number>();
  for (const key of ['train_loss', 'val_accuracy', 'attention/entropy']) {
    for (let step = 0; step < steps; step++) expected.set(`${key}@${step}`, 1);
  }
  const sorted = (counts: Map<string, number>) => [...counts].sort(([a], [b]) => a.localeCompare(b));
  t.deepEqual(sorted(seen), sorted(expected));
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function onlyRun(server: FakeMlflow): FakeRun | undefined {
  return [...server.runs.values()][0];
}

test('a run stopped by a signal waits for a slow server only briefly: the journal keeps the rest for sync', async (t) => {
  const server = await startFakeMlflow();
  const dir = await journalDir();
  const notices: string[] = [];
  const tracker = await openRun(server.url, dir, { notices });
  await logEpochs(tracker, 0, 3);
  // Slower than the wait of a KILLED end, well within the 10 s a finished run would wait.
  server.delayMs = 3 * KILLED_FLUSH_MS;
  await tracker.end('KILLED');
  t.is(onlyRun(server)?.status, 'RUNNING', 'end waited for the server');
  t.true(notices.some((notice) => /not on .* yet/.test(notice)), notices.join('\n'));
  server.delayMs = 0;
  const report = await syncJournals({ dir, env: {}, retry: syncRetry });
  t.deepEqual(report.journals.map((journal) => journal.outcome), ['synced']);
  t.is(onlyRun(server)?.status, 'KILLED');
  await server.stop();
});

test('a run reaches the server with its params, tags, metrics, artifacts and status, and leaves no journal', async (t) => {
  const server = await startFakeMlflow();
  const dir = await journalDir();
  const tracker = await openRun(server.url, dir);
  t.regex(tracker.runId, /^[0-9a-f]{32}$/);
  await tracker.logParams({ 'model.pooler.type': 'additive', 'train.lr': 0.001 });
  await tracker.setTags({ 'attnlab.backend': 'wasm' });
  await logEpochs(tracker, 0, 3);
  await tracker.logArtifact('config.yaml', 'train:\n  lr: 0.001\n');
  await tracker.end('FINISHED');
  const run = server.runs.get(tracker.runId);
  t.is(run?.status, 'FINISHED');
  t.is(run?.runName, 'epochs');
  t.is(run?.params.get('train.lr'), '0.001');
  t.is(run?.tags.get('attnlab.backend'), 'wasm');
  t.is(run?.tags.get('mlflow.runName'), 'epochs');
  t.is(run?.artifacts.get('config.yaml')?.toString(), 'train:\n  lr: 0.001\n');
  assertEveryMetricOnce(t, run, 3);
  t.deepEqual(await readdir(dir), []);
  await server.stop();
});

test('logged events are merged into few log-batch requests', async (t) => {
  const server = await startFakeMlflow();
  server.delayMs = 100;
  const tracker = await openRun(server.url, await journalDir());
  await logEpochs(tracker, 0, 20);
  await tracker.logParams({ a: 1 });
  await tracker.logParams({ a: 1, b: 2 });
  await tracker.end('FINISHED');
  const batches = server.requestsTo('runs/log-batch');
  t.true(batches.length < 10, `${batches.length} requests for 22 events`);
  for (const batch of batches) {
    const params = (batch.json?.params as { key: string }[]).map((param) => param.key);
    t.is(new Set(params).size, params.length);
  }
  assertEveryMetricOnce(t, onlyRun(server), 20);
  await server.stop();
});

test('5xx answers are retried with backoff until every metric is stored once', async (t) => {
  const server = await startFakeMlflow();
  const tracker = await openRun(server.url, await journalDir());
  server.failures = { count: 4, status: 503 };
  await logEpochs(tracker, 0, 5);
  await tracker.end('FINISHED');
  t.true(server.requestsTo('runs/log-batch').length >= 5);
  assertEveryMetricOnce(t, onlyRun(server), 5);
  t.is(onlyRun(server)?.status, 'FINISHED');
  await server.stop();
});

test('a slow server does not slow the run: logging returns at local-disk speed', async (t) => {
  const server = await startFakeMlflow();
  const tracker = await openRun(server.url, await journalDir());
  server.delayMs = 2000;
  await logEpochs(tracker, 0, 10);
  // Had logging waited for the server's answers, all 30 metrics would be stored by now.
  t.true((onlyRun(server)?.metrics.length ?? 0) < 30, 'logging waited for the server');
  server.delayMs = 0;
  await tracker.end('FINISHED');
  await server.stop();
});

test('a server killed mid-run and restarted gets every metric exactly once after sync, and a second sync sends nothing', async (t) => {
  const server = await startFakeMlflow();
  const dir = await journalDir();
  const notices: string[] = [];
  const tracker = await openRun(server.url, dir, { notices, shortWaits: true });
  await logEpochs(tracker, 0, 5);
  await until(() => (onlyRun(server)?.metrics.length ?? 0) === 15);
  await server.stop();
  await logEpochs(tracker, 5, 10);
  await tracker.logArtifact('config.yaml', 'lr: 0.1\n');
  await tracker.end('FINISHED');
  t.true(notices.some((notice) => notice.includes('attnlab sync')));
  t.is(onlyRun(server)?.status, 'RUNNING');

  await server.start();
  const report = await syncJournals({ dir, env: {}, retry: syncRetry });
  t.is(report.journals.length, 1);
  t.is(report.journals[0].outcome, 'synced');
  t.is(report.journals[0].runId, tracker.runId);
  t.is(server.runs.size, 1);
  const run = onlyRun(server);
  assertEveryMetricOnce(t, run, 10);
  t.is(run?.status, 'FINISHED');
  t.is(run?.artifacts.get('config.yaml')?.toString(), 'lr: 0.1\n');

  const requestsBefore = server.requests.length;
  const rerun = await syncJournals({ dir, env: {}, retry: syncRetry });
  t.deepEqual(rerun.journals, []);
  t.is(server.requests.length, requestsBefore);
  await server.stop();
});

test('a journal resent in full after lost acknowledgements creates no second run and no duplicate point', async (t) => {
  const server = await startFakeMlflow();
  const dir = await journalDir();
  const port = server.port;
  await server.stop();
  const tracker = await openRun(`http://127.0.0.1:${port}`, dir, { shortWaits: true });
  await tracker.logParams({ 'train.lr': 0.1 });
  await logEpochs(tracker, 0, 4);
  await tracker.end('FINISHED');
  const unsent = join(await journalDir(), 'copy');
  await cp(dir, unsent, { recursive: true });

  await server.start();
  t.is((await syncJournals({ dir, env: {}, retry: syncRetry })).journals[0].outcome, 'synced');
  // The server applied everything, but as if no acknowledgement had reached the disk.
  await cp(unsent, dir, { recursive: true });
  const again = await syncJournals({ dir, env: {}, retry: syncRetry });
  t.is(again.journals[0].outcome, 'synced');
  t.is(server.runs.size, 1);
  t.is(server.receivedMetricPoints, 24);
  assertEveryMetricOnce(t, onlyRun(server), 4);
  await server.stop();
});

test('an answer lost after the server applied a batch is resent without a duplicate point', async (t) => {
  const server = await startFakeMlflow();
  const tracker = await openRun(server.url, await journalDir());
  server.lostAnswers = 1;
  await logEpochs(tracker, 0, 1);
  await tracker.end('FINISHED');
  t.is(server.receivedMetricPoints, 6);
  assertEveryMetricOnce(t, onlyRun(server), 1);
  await server.stop();
});

test('a sync with the server still down leaves the journal pending', async (t) => {
  const server = await startFakeMlflow();
  const dir = await journalDir();
  const tracker = await openRun(server.url, dir, { shortWaits: true });
  await server.stop();
  await logEpochs(tracker, 0, 2);
  await tracker.end('KILLED');
  const report = await syncJournals({ dir, env: {}, retry: syncRetry });
  t.is(report.journals[0].outcome, 'pending');
  // Two metrics events and the end, and the open too if the loaded machine was slower than the wait.
  t.true(report.journals[0].pendingEvents >= 3);
  t.regex(report.journals[0].error ?? '', /no answer from/);
  t.is((await readdir(dir)).filter((name) => name.endsWith('.jsonl')).length, 1);
});

test('a journal still written by a live run is left to it', async (t) => {
  const server = await startFakeMlflow();
  const dir = await journalDir();
  const tracker = await openRun(server.url, dir);
  const report = await syncJournals({ dir, env: {}, retry: syncRetry });
  t.is(report.journals[0].outcome, 'in-use');
  await tracker.end('FINISHED');
  await server.stop();
});

test('a run whose process was killed mid-write is replayed up to the cut line and ended as KILLED', async (t) => {
  const server = await startFakeMlflow();
  const port = server.port;
  await server.stop();
  const dir = await journalDir();
  const script = fileURLToPath(new URL('../fixtures/mlflow/crashing-run.ts', import.meta.url));
  const exit = await new Promise<string | null>((resolve) => {
    const child = spawn(process.execPath, ['--import=tsx', script, `http://127.0.0.1:${port}`, dir, '4'], { stdio: 'ignore' });
    child.on('exit', (_, signal) => resolve(signal));
  });
  t.is(exit, 'SIGKILL');
  const journal = (await readdir(dir)).find((name) => name.endsWith('.jsonl')) ?? '';
  await appendFile(join(dir, journal), '{"id":"cut-short","type":"metr');

  await server.start();
  const report = await syncJournals({ dir, env: {}, retry: syncRetry });
  t.is(report.journals[0].outcome, 'synced');
  const run = onlyRun(server);
  t.is(run?.status, 'KILLED');
  assertEveryMetricOnce(t, run, 4);
  await t.throwsAsync(readFile(join(dir, journal)), { code: 'ENOENT' });
  await server.stop();
});
