import test from 'ava';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileStore, formatPythonFloat } from '../../src/tracking/file-store.js';
import { openTracker } from '../../src/tracking/tracker.js';
import { TrackingError } from '../../src/tracking/validation.js';

const env = { USER: 'alice' };

async function temporaryRoot(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'attnlab-file-store-')), 'runs');
}

/** Date.now ticking 1 ms per call from a fixed start, so that every timestamp is known. */
function stubClock(start: number): () => void {
  const original = Date.now;
  let now = start;
  Date.now = () => now++;
  return () => {
    Date.now = original;
  };
}

test.serial('a small run is written byte for byte as MLflow 2.x writes its file store', async (t) => {
  const root = await temporaryRoot();
  const restore = stubClock(1_700_000_000_000);
  let runId: string;
  try {
    const tracker = await openTracker({ uri: root, runName: 'tiny run', env, tags: { 'attnlab.backend': 'wasm' } });
    runId = tracker.runId;
    await tracker.logParams({ 'model.pooler.type': 'additive', 'train.lr': 0.001, 'train.shuffle': true });
    await tracker.logMetrics({ 'train/loss': 0.5, val_accuracy: 1e-5 }, 0);
    await tracker.logMetrics({ 'train/loss': Number.NaN, val_accuracy: 1 }, 1);
    await tracker.logArtifact('config.yaml', 'train:\n  lr: 0.001\n');
    await tracker.end('FINISHED');
  } finally {
    restore();
  }
  t.regex(runId, /^[0-9a-f]{32}$/);
  const base = pathToFileURL(root).href;
  t.is(
    await readFile(join(root, '0', 'meta.yaml'), 'utf8'),
    [
      `artifact_location: ${base}/0`,
      'creation_time: 1700000000000',
      "experiment_id: '0'",
      'last_update_time: 1700000000000',
      'lifecycle_stage: active',
      'name: Default',
      '',
    ].join('\n'),
  );
  const run = join(root, '0', runId);
  t.is(
    await readFile(join(run, 'meta.yaml'), 'utf8'),
    [
      `artifact_uri: ${base}/0/${runId}/artifacts`,
      'end_time: 1700000000004',
      "entry_point_name: ''",
      "experiment_id: '0'",
      'lifecycle_stage: active',
      `run_id: ${runId}`,
      'run_name: tiny run',
      `run_uuid: ${runId}`,
      "source_name: ''",
      'source_type: 4',
      "source_version: ''",
      'start_time: 1700000000001',
      'status: 3',
      'tags: []',
      'user_id: alice',
      '',
    ].join('\n'),
  );
  t.is(await readFile(join(run, 'metrics', 'train', 'loss'), 'utf8'), '1700000000002 0.5 0\n1700000000003 nan 1\n');
  t.is(await readFile(join(run, 'metrics', 'val_accuracy'), 'utf8'), '1700000000002 1e-05 0\n1700000000003 1.0 1\n');
  t.is(await readFile(join(run, 'params', 'model.pooler.type'), 'utf8'), 'additive');
  t.is(await readFile(join(run, 'params', 'train.lr'), 'utf8'), '0.001');
  t.is(await readFile(join(run, 'params', 'train.shuffle'), 'utf8'), 'true');
  t.is(await readFile(join(run, 'tags', 'mlflow.runName'), 'utf8'), 'tiny run');
  t.is(await readFile(join(run, 'tags', 'attnlab.backend'), 'utf8'), 'wasm');
  t.is(await readFile(join(run, 'artifacts', 'config.yaml'), 'utf8'), 'train:\n  lr: 0.001\n');
  t.deepEqual((await readdir(root)).sort(), ['.trash', '0']);
});

test('a named experiment gets an 18-digit id and is reused by the next run', async (t) => {
  const root = await temporaryRoot();
  const first = await openTracker({ uri: `file://${root}`, experiment: 'imdb', runName: 'a', env });
  const second = await openTracker({ uri: root, runName: 'b', env: { ...env, MLFLOW_EXPERIMENT_NAME: 'imdb' } });
  t.regex(first.experimentId, /^[1-9]\d{17}$/);
  t.is(second.experimentId, first.experimentId);
  const meta = await readFile(join(root, first.experimentId, 'meta.yaml'), 'utf8');
  t.true(meta.includes(`experiment_id: '${first.experimentId}'\n`));
  t.true(meta.includes('name: imdb\n'));
});

test('a failed run records status 4 and its error as a tag', async (t) => {
  const root = await temporaryRoot();
  const tracker = await openTracker({ uri: root, runName: 'boom', env });
  await tracker.end('FAILED', new Error('loss is NaN at step 3'));
  await tracker.end('FINISHED');
  const run = join(root, '0', tracker.runId);
  t.regex(await readFile(join(run, 'meta.yaml'), 'utf8'), /\nstatus: 4\n/);
  t.is(await readFile(join(run, 'tags', 'attnlab.error'), 'utf8'), 'Error: loss is NaN at step 3');
});

const invalidCalls: Record<string, (tracker: Awaited<ReturnType<typeof openTracker>>) => Promise<void>> = {
  'tracking/param-changed': async (tracker) => {
    await tracker.logParams({ 'train.lr': 0.1 });
    await tracker.logParams({ 'train.lr': 0.2 });
  },
  'tracking/bad-key': (tracker) => tracker.logMetrics({ 'train//loss': 1 }, 0),
  'tracking/key-too-long': (tracker) => tracker.setTags({ ['k'.repeat(251)]: 'v' }),
  'tracking/bad-step': (tracker) => tracker.logMetrics({ loss: 1 }, 0.5),
  'tracking/bad-artifact-path': (tracker) => tracker.logArtifact('../escape.txt', 'x'),
};

for (const [code, call] of Object.entries(invalidCalls)) {
  test(`the file store refuses what MLflow refuses: ${code}`, async (t) => {
    const tracker = await openTracker({ uri: await temporaryRoot(), runName: 'bad', env });
    const error = await t.throwsAsync(call(tracker), { instanceOf: TrackingError });
    t.is(error?.code, code);
  });
}

test("a param value over 6,000 characters is cut to 6,000 with a warning, as MLflow's client cuts it", async (t) => {
  const notices: string[] = [];
  const root = await temporaryRoot();
  const tracker = await openTracker({ uri: root, runName: 'long', env, onNotice: (message) => notices.push(message) });
  const value = 'ab'.repeat(3500);
  await tracker.logParams({ 'data.vocabulary': value, 'train.lr': 0.1 });
  const stored = await readFile(join(root, '0', tracker.runId, 'params', 'data.vocabulary'), 'utf8');
  t.is(stored, value.slice(0, 6000));
  t.is(await readFile(join(root, '0', tracker.runId, 'params', 'train.lr'), 'utf8'), '0.1');
  t.is(notices.length, 1);
  t.regex(notices[0], /param "data\.vocabulary" has a value of 7000 characters; MLflow keeps at most 6000.*config\.yaml/);
  await t.notThrowsAsync(tracker.logParams({ 'data.vocabulary': value }), 'the same long value logged again is the same param');
});

test('keys may contain ":" as MLflow allows, and nothing outside its rule', async (t) => {
  const root = await temporaryRoot();
  const tracker = await openTracker({ uri: root, runName: 'colons', env });
  await tracker.logMetrics({ 'val:accuracy': 0.5 }, 0);
  await tracker.setTags({ 'team:owner': 'nlp' });
  t.is(await readFile(join(root, '0', tracker.runId, 'tags', 'team:owner'), 'utf8'), 'nlp');
  t.regex(await readFile(join(root, '0', tracker.runId, 'metrics', 'val:accuracy'), 'utf8'), / 0\.5 0\n$/);
  for (const key of ['a@b', 'loss(train)', 'a\\b']) {
    const error = await t.throwsAsync(tracker.logMetrics({ [key]: 1 }, 0), { instanceOf: TrackingError });
    t.is(error?.code, 'tracking/bad-key', key);
  }
});

test('a deleted run gets deleted_time in its meta.yaml, in the sorted place MLflow writes it', async (t) => {
  const root = await temporaryRoot();
  const tracker = await openTracker({ uri: root, runName: 'gone', env });
  await tracker.end('FAILED');
  const store = new FileStore(root);
  await store.deleteRun('0', tracker.runId, 1_700_000_123_456);
  const meta = await readFile(join(root, '0', tracker.runId, 'meta.yaml'), 'utf8');
  const keys = meta.split('\n').filter(Boolean).map((line) => line.split(':')[0]);
  t.deepEqual(keys, [...keys].sort());
  t.regex(meta, /\ndeleted_time: 1700000123456\n/);
  t.regex(meta, /\nlifecycle_stage: deleted\n/);
  t.deepEqual(await store.listRuns('0'), []);
});

test('the same param value may be logged twice', async (t) => {
  const tracker = await openTracker({ uri: await temporaryRoot(), runName: 'twice', env });
  await tracker.logParams({ 'train.lr': 0.1 });
  await t.notThrowsAsync(tracker.logParams({ 'train.lr': 0.1 }));
});

test('metric values are written as Python writes floats', (t) => {
  const cases: [number, string][] = [
    [0.5, '0.5'],
    [1, '1.0'],
    [-2.5, '-2.5'],
    [0.0001, '0.0001'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [123456789012345680, '1.2345678901234568e+17'],
    [0.1 + 0.2, '0.30000000000000004'],
    [Number.POSITIVE_INFINITY, 'inf'],
    [Number.NEGATIVE_INFINITY, '-inf'],
    [Number.NaN, 'nan'],
  ];
  for (const [value, expected] of cases) t.is(formatPythonFloat(value), expected, String(value));
});
