/**
 * Where a run's artifacts go on a tracking server, read from the run's artifact_uri as MLflow's
 * client reads it, and how the run's record fares when they cannot be stored.
 */
import test from 'ava';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFakeMlflow } from '../fixtures/mlflow/fake-server.js';
import type { FakeMlflow, FakeMlflowOptions, FakeRun } from '../fixtures/mlflow/fake-server.js';
import { resolveArtifactDestination, resolveProxyUri } from '../../src/tracking/artifact-uri.js';
import { syncJournals } from '../../src/tracking/journal.js';
import { openTracker } from '../../src/tracking/tracker.js';
import type { Tracker } from '../../src/tracking/tracker.js';
import { TrackingError } from '../../src/tracking/validation.js';

const fastRetry = { baseMs: 20, maxMs: 100 };

async function temporaryDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

async function openRun(server: FakeMlflow, journalDir: string, notices: string[], flushTimeoutMs = 10_000): Promise<Tracker> {
  return openTracker({
    uri: server.url,
    experiment: 'imdb',
    runName: 'epochs',
    env: { USER: 'alice' },
    journalDir,
    flushTimeoutMs,
    retry: fastRetry,
    onNotice: (message) => notices.push(message),
  });
}

/** The run's record a user reads first: status, params, one point per metric and step. */
async function recordRun(tracker: Tracker): Promise<void> {
  await tracker.logParams({ 'train.lr': 0.1 });
  await tracker.logArtifact('config.yaml', 'train:\n  lr: 0.1\n');
  for (let step = 0; step < 3; step++) await tracker.logMetrics({ val_accuracy: step / 10 }, step);
}

function onlyRun(server: FakeMlflow): FakeRun | undefined {
  return [...server.runs.values()][0];
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function withServer(options: FakeMlflowOptions, run: (server: FakeMlflow) => Promise<void>): Promise<void> {
  const server = await startFakeMlflow(options);
  try {
    await run(server);
  } finally {
    await server.stop();
  }
}

test('mlflow-artifacts: URIs resolve as MLflow resolves them against the tracking URI', (t) => {
  const proxy = '/api/2.0/mlflow-artifacts/artifacts';
  const cases: [string, string, string][] = [
    ['mlflow-artifacts://myhostname:4242/my/artifact/path/hostport', 'http://localhost:5000', `http://myhostname:4242${proxy}/my/artifact/path/hostport`],
    ['mlflow-artifacts://myhostname/my/artifact/path/host', 'http://localhost:5000/', `http://myhostname${proxy}/my/artifact/path/host`],
    ['mlflow-artifacts:/my/artifact/path/nohost', 'http://localhost:5000', `http://localhost:5000${proxy}/my/artifact/path/nohost`],
    ['mlflow-artifacts:///my/artifact/path/redundant', 'http://localhost:5000', `http://localhost:5000${proxy}/my/artifact/path/redundant`],
    ['mlflow-artifacts:/', 'http://localhost:5000', `http://localhost:5000${proxy}`],
    ['mlflow-artifacts:/1/abc/artifacts', 'https://host/mlflow/', `https://host/mlflow${proxy}/1/abc/artifacts`],
  ];
  for (const [artifactUri, trackingUri, expected] of cases) t.is(resolveProxyUri(artifactUri, trackingUri), expected, artifactUri);
});

test('an artifact_uri picks the store MLflow would pick, and other schemes are refused with the fix', (t) => {
  const tracking = 'http://mlflow:5000';
  t.deepEqual(resolveArtifactDestination('/shared/mlartifacts/1/abc/artifacts', tracking, '/work'), { kind: 'local', dir: '/shared/mlartifacts/1/abc/artifacts' });
  t.deepEqual(resolveArtifactDestination('file:///shared/a/1/abc/artifacts', tracking, '/work'), { kind: 'local', dir: '/shared/a/1/abc/artifacts' });
  t.deepEqual(resolveArtifactDestination('./mlruns/1/abc/artifacts', tracking, '/work'), { kind: 'local', dir: '/work/mlruns/1/abc/artifacts' });
  t.deepEqual(resolveArtifactDestination('https://store.example/runs/abc/artifacts/', tracking, '/work'), { kind: 'http', url: 'https://store.example/runs/abc/artifacts' });
  t.deepEqual(resolveArtifactDestination('mlflow-artifacts:/1/abc/artifacts', tracking, '/work'), {
    kind: 'http',
    url: 'http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts',
  });
  for (const uri of ['s3://bucket/mlflow/1/abc/artifacts', 'gs://bucket/1/abc/artifacts', 'wasbs://c@acct.blob.core.windows.net/1/abc', 'hdfs://nn:8020/mlflow/1/abc']) {
    const error = t.throws(() => resolveArtifactDestination(uri, tracking, '/work'), { instanceOf: TrackingError });
    t.is(error?.code, 'tracking/artifact-store-unsupported', uri);
    t.true(error?.message.includes(`scheme "${uri.split(':')[0]}:"`), error?.message);
    t.regex(error?.message ?? '', /--serve-artifacts --artifacts-destination .*--default-artifact-root/);
  }
});

test('artifacts waiting on a failing artifact store hold back no metric, param or status', async (t) => {
  await withServer({}, async (server) => {
    const notices: string[] = [];
    const tracker = await openRun(server, await temporaryDir('attnlab-journal-'), notices, 1500);
    server.artifactFailures = { count: 1_000_000, status: 503 };
    await recordRun(tracker);
    await tracker.end('FINISHED');
    const run = onlyRun(server);
    t.is(run?.status, 'FINISHED');
    t.is(run?.params.get('train.lr'), '0.1');
    t.deepEqual(run?.metrics.map((metric) => metric.step), [0, 1, 2]);
    t.deepEqual(await server.listArtifacts(run?.runId ?? ''), []);
    t.true(notices.some((notice) => /1 events of run "epochs" are not on .*attnlab sync/.test(notice)), notices.join('\n'));
  });
});

test('a server with --no-serve-artifacts: the run still finishes there, the user is told early, and sync uploads later', async (t) => {
  await withServer({ serveArtifacts: false }, async (server) => {
    const notices: string[] = [];
    const dir = await temporaryDir('attnlab-journal-');
    const tracker = await openRun(server, dir, notices);
    await recordRun(tracker);
    await until(() => notices.length > 0);
    t.regex(notices[0], /artifacts of run "epochs" cannot be stored: .*--no-serve-artifacts.*--serve-artifacts.*metrics, params and status still go/);
    const error = await t.throwsAsync(tracker.end('FINISHED'), { instanceOf: TrackingError });
    t.is(error?.code, 'tracking/artifacts-not-stored');
    t.regex(error?.message ?? '', /ended as FINISHED .* 1 of its artifacts could not be stored.*attnlab sync/);
    const run = onlyRun(server);
    t.is(run?.status, 'FINISHED');
    t.deepEqual(run?.metrics.map((metric) => metric.step), [0, 1, 2]);
    t.is(run?.params.get('train.lr'), '0.1');

    const failed = await syncJournals({ dir, env: {}, retry: { ...fastRetry, maxAttempts: 3 } });
    t.is(failed.journals[0].outcome, 'failed');
    t.deepEqual(failed.journals[0].pending, { artifact: 1 });
    t.is(server.requestsTo('runs/update').length, 1, 'the status is not sent again');

    server.serveArtifacts = true;
    const synced = await syncJournals({ dir, env: {}, retry: { ...fastRetry, maxAttempts: 3 } });
    t.is(synced.journals[0].outcome, 'synced');
    t.is((await server.readArtifact(run?.runId ?? '', 'config.yaml'))?.toString(), 'train:\n  lr: 0.1\n');
  });
});

test('a --default-artifact-root on a shared disk: artifacts are written there, where MLflow lists them', async (t) => {
  const shared = await temporaryDir('attnlab-shared-');
  for (const root of [join(shared, 'plain'), pathToFileURL(join(shared, 'uri')).href]) {
    await withServer({ defaultArtifactRoot: root }, async (server) => {
      const tracker = await openRun(server, await temporaryDir('attnlab-journal-'), []);
      await recordRun(tracker);
      await tracker.logArtifact('checkpoint/weights.bin', new Uint8Array([1, 2, 3]));
      await tracker.end('FINISHED');
      const run = onlyRun(server);
      t.is(run?.status, 'FINISHED');
      t.deepEqual(await server.listArtifacts(run?.runId ?? ''), ['checkpoint/weights.bin', 'config.yaml'], root);
      t.deepEqual(server.requests.filter((request) => request.method === 'PUT'), [], 'nothing goes through the proxy');
      const folder = root.startsWith('file:') ? join(shared, 'uri') : root;
      t.is(await readFile(join(folder, run?.experimentId ?? '', run?.runId ?? '', 'artifacts', 'config.yaml'), 'utf8'), 'train:\n  lr: 0.1\n');
    });
  }
});

const unwritableStores: [string, () => Promise<string>, RegExp][] = [
  ['a cloud store (s3://)', async () => 's3://bucket/mlflow', /scheme "s3:".*--serve-artifacts --artifacts-destination s3:\/\/bucket\/…/],
  [
    'a path this machine cannot write',
    // Under a regular file, no folder can be made, whoever runs the test.
    async () => {
      const file = join(await temporaryDir('attnlab-shared-'), 'not-a-folder');
      await writeFile(file, '');
      return join(file, 'mlartifacts');
    },
    /cannot write artifact "config\.yaml" into .*not-a-folder\/mlartifacts\/.* \(ENOTDIR\).*Mount that disk here/,
  ],
];

for (const [what, makeRoot, pattern] of unwritableStores) {
  test(`an artifact store attnlab cannot write (${what}) is named early and the run still finishes`, async (t) => {
    await withServer({ defaultArtifactRoot: await makeRoot() }, async (server) => {
      const notices: string[] = [];
      const tracker = await openRun(server, await temporaryDir('attnlab-journal-'), notices);
      await recordRun(tracker);
      await until(() => notices.length > 0);
      t.regex(notices[0], pattern);
      const error = await t.throwsAsync(tracker.end('FINISHED'), { instanceOf: TrackingError });
      t.is(error?.code, 'tracking/artifacts-not-stored');
      t.is(onlyRun(server)?.status, 'FINISHED');
      t.deepEqual(onlyRun(server)?.metrics.map((metric) => metric.step), [0, 1, 2]);
    });
  });
}

test('a param over 6,000 characters reaches a server that refuses it whole: cut, with a warning', async (t) => {
  await withServer({}, async (server) => {
    const notices: string[] = [];
    const tracker = await openRun(server, await temporaryDir('attnlab-journal-'), notices);
    const value = 'x'.repeat(6500);
    await tracker.logParams({ name: value, 'train.lr': 0.1 });
    await tracker.setTags({ 'team:owner': 'nlp' });
    await tracker.logMetrics({ 'val:accuracy': 0.5 }, 0);
    await tracker.end('FINISHED');
    const run = onlyRun(server);
    t.is(run?.status, 'FINISHED');
    t.is(run?.params.get('name'), value.slice(0, 6000));
    t.is(run?.params.get('train.lr'), '0.1');
    t.is(run?.tags.get('team:owner'), 'nlp');
    t.deepEqual(run?.metrics.map((metric) => metric.key), ['val:accuracy']);
    t.true(notices.some((notice) => /param "name" has a value of 6500 characters/.test(notice)));
  });
});
