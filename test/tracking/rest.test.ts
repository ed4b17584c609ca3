import test from 'ava';
import { FakeMlflow, startFakeMlflow } from '../fixtures/mlflow/fake-server.js';
import { MlflowApiError, MlflowRestClient, encodeMetricValue, planLogBatches } from '../../src/tracking/rest.js';
import type { WireMetric } from '../../src/tracking/rest.js';
import { TrackingError } from '../../src/tracking/validation.js';
import { writeRunArtifact } from '../../src/tracking/artifact-uri.js';

async function withServer(run: (server: FakeMlflow) => Promise<void>): Promise<void> {
  const server = await startFakeMlflow();
  try {
    await run(server);
  } finally {
    await server.stop();
  }
}

async function createRun(client: MlflowRestClient): Promise<string> {
  const experimentId = await client.getOrCreateExperiment('imdb');
  const run = await client.createRun({ experimentId, runName: 'r', userId: 'alice', startTime: 5, tags: { a: 'b' } });
  return run.run_id;
}

test('every POST is JSON with Content-Type and the payload MLflow documents', async (t) => {
  await withServer(async (server) => {
    const client = new MlflowRestClient({ uri: server.url, env: {} });
    const runId = await createRun(client);
    await client.logBatch(runId, {
      metrics: [{ key: 'loss', value: encodeMetricValue(Number.NaN), timestamp: 7, step: 1 }],
      params: [{ key: 'train.lr', value: '0.1' }],
    });
    await client.setTag(runId, 'note', 'ok');
    await client.updateRun(runId, 'FINISHED', 9);

    const posts = server.requests.filter((request) => request.method === 'POST');
    t.true(posts.length >= 5);
    for (const post of posts) t.is(post.headers['content-type'], 'application/json', post.path);
    t.deepEqual(server.requestsTo('runs/create')[0].json, {
      experiment_id: '101',
      user_id: 'alice',
      run_name: 'r',
      start_time: 5,
      tags: [{ key: 'a', value: 'b' }],
    });
    t.deepEqual(server.requestsTo('runs/log-batch')[0].json, {
      run_id: runId,
      metrics: [{ key: 'loss', value: 'NaN', timestamp: 7, step: 1 }],
      params: [{ key: 'train.lr', value: '0.1' }],
      tags: [],
    });
    t.deepEqual(server.requestsTo('runs/update')[0].json, { run_id: runId, status: 'FINISHED', end_time: 9 });
    const run = server.runs.get(runId);
    t.true(Number.isNaN(run?.metrics[0].value));
    t.is(run?.tags.get('note'), 'ok');
    t.is(run?.status, 'FINISHED');
  });
});

test('non-finite values are spelled as protobuf JSON spells them', (t) => {
  t.is(encodeMetricValue(Number.NaN), 'NaN');
  t.is(encodeMetricValue(Number.POSITIVE_INFINITY), 'Infinity');
  t.is(encodeMetricValue(Number.NEGATIVE_INFINITY), '-Infinity');
  t.is(encodeMetricValue(0.25), 0.25);
});

test('a token is sent as bearer auth, a user and password as basic auth', async (t) => {
  await withServer(async (server) => {
    server.requiredAuthorization = 'Bearer s3cret';
    await new MlflowRestClient({ uri: server.url, env: { MLFLOW_TRACKING_TOKEN: 's3cret' } }).getOrCreateExperiment('x');
    server.requiredAuthorization = `Basic ${Buffer.from('ann:pw').toString('base64')}`;
    const basic = new MlflowRestClient({ uri: server.url, env: { MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw' } });
    t.is(await basic.getOrCreateExperiment('x'), '101');
    const anonymous = new MlflowRestClient({ uri: server.url, env: {} });
    const error = await t.throwsAsync(anonymous.getOrCreateExperiment('x'), { instanceOf: MlflowApiError });
    t.is(error?.status, 401);
    t.false(error?.retryable);
  });
});

test('an experiment is found by name before it is created', async (t) => {
  await withServer(async (server) => {
    const client = new MlflowRestClient({ uri: server.url, env: {} });
    t.is(await client.getOrCreateExperiment('Default'), '0');
    const created = await client.getOrCreateExperiment('imdb');
    t.is(await client.getOrCreateExperiment('imdb'), created);
    t.is(server.requestsTo('experiments/create').length, 1);
  });
});

test('an over-limit batch is refused before it is sent', async (t) => {
  await withServer(async (server) => {
    const client = new MlflowRestClient({ uri: server.url, env: {} });
    const runId = await createRun(client);
    const params = Array.from({ length: 101 }, (_, index) => ({ key: `p${index}`, value: 'v' }));
    const error = await t.throwsAsync(client.logBatch(runId, { params }), { instanceOf: TrackingError });
    t.is(error?.code, 'tracking/batch-too-large');
    t.is(server.requestsTo('runs/log-batch').length, 0);
  });
});

test('batches are planned within every MLflow limit and keep every item in order', (t) => {
  const metrics: WireMetric[] = Array.from({ length: 2500 }, (_, step) => ({ key: 'loss', value: step, timestamp: 1, step }));
  const params = Array.from({ length: 150 }, (_, index) => ({ key: `p${index}`, value: 'v' }));
  const tags = Array.from({ length: 30 }, (_, index) => ({ key: `t${index}`, value: 'v' }));
  const batches = planLogBatches({ metrics, params, tags });
  for (const batch of batches) {
    t.true(batch.metrics.length <= 1000);
    t.true(batch.params.length <= 100);
    t.true(batch.tags.length <= 100);
    t.true(batch.metrics.length + batch.params.length + batch.tags.length <= 1000);
  }
  t.deepEqual(batches.flatMap((batch) => batch.metrics), metrics);
  t.deepEqual(batches.flatMap((batch) => batch.params), params);
  t.deepEqual(batches.flatMap((batch) => batch.tags), tags);
  t.is(batches.length, 3);
});

test('the server answers what MLflow refuses with 400 and its error JSON', async (t) => {
  await withServer(async (server) => {
    const runId = await createRun(new MlflowRestClient({ uri: server.url, env: {} }));
    // A Uint8Array body, unlike a string, makes fetch send no Content-Type of its own.
    const post = (body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) => () =>
      fetch(`${server.url}/api/2.0/mlflow/runs/log-batch`, { method: 'POST', headers, body: Buffer.from(JSON.stringify(body)) });
    const manyMetrics = Array.from({ length: 1001 }, (_, step) => ({ key: 'm', value: 1, timestamp: 1, step }));
    const manyParams = Array.from({ length: 101 }, (_, index) => ({ key: `p${index}`, value: '1' }));
    const refusals: [string, () => Promise<Response>, RegExp][] = [
      ['missing Content-Type', post({ run_id: runId }, {}), /Content-Type header is missing/],
      ['other Content-Type', post({ run_id: runId }, { 'Content-Type': 'text/plain' }), /Content-Type must be one of/],
      ['too many metrics', post({ run_id: runId, metrics: manyMetrics }), /at most 1000 metrics/],
      ['too many params', post({ run_id: runId, params: manyParams }), /at most 100 params/],
      ['bad key', post({ run_id: runId, metrics: [{ key: '../loss', value: 1, timestamp: 1, step: 0 }] }), /Invalid value/],
    ];
    for (const [what, send, message] of refusals) {
      const answer = await send();
      t.is(answer.status, 400, what);
      const body = (await answer.json()) as { error_code: string; message: string };
      t.is(body.error_code, 'INVALID_PARAMETER_VALUE', what);
      t.regex(body.message, message, what);
    }
  });
});

test('a changed param comes back as a non-retryable MlflowApiError', async (t) => {
  await withServer(async (server) => {
    const client = new MlflowRestClient({ uri: server.url, env: {} });
    const runId = await createRun(client);
    await client.logBatch(runId, { params: [{ key: 'train.lr', value: '0.1' }] });
    const error = await t.throwsAsync(client.logBatch(runId, { params: [{ key: 'train.lr', value: '0.2' }] }), {
      instanceOf: MlflowApiError,
    });
    t.is(error?.errorCode, 'INVALID_PARAMETER_VALUE');
    t.regex(error?.message ?? '', /Changing param values is not allowed/);
    t.false(error?.retryable);
  });
});

test('5xx answers and unreachable servers are retryable errors', async (t) => {
  const server = await startFakeMlflow();
  const client = new MlflowRestClient({ uri: server.url, env: {} });
  server.failures = { count: 1, status: 503 };
  const failing = await t.throwsAsync(client.getOrCreateExperiment('x'), { instanceOf: MlflowApiError });
  t.is(failing?.status, 503);
  t.true(failing?.retryable);
  await server.stop();
  const down = await t.throwsAsync(client.getOrCreateExperiment('x'), { instanceOf: MlflowApiError });
  t.is(down?.status, 0);
  t.true(down?.retryable);
});

test('a slow server is given up after the request timeout', async (t) => {
  await withServer(async (server) => {
    server.delayMs = 500;
    const client = new MlflowRestClient({ uri: server.url, env: {}, timeoutMs: 50 });
    const error = await t.throwsAsync(client.getOrCreateExperiment('x'), { instanceOf: MlflowApiError });
    t.true(error?.retryable);
    t.regex(error?.message ?? '', /timed out/);
  });
});

test('artifacts go through the proxy under the run artifact URI', async (t) => {
  await withServer(async (server) => {
    const client = new MlflowRestClient({ uri: server.url, env: {} });
    const experimentId = await client.getOrCreateExperiment('imdb');
    const run = await client.createRun({ experimentId, runName: 'r', userId: 'u', startTime: 1, tags: {} });
    await writeRunArtifact(client, run, 'checkpoint/weights.bin', new Uint8Array([1, 2, 3]));
    const put = server.requests.find((request) => request.method === 'PUT');
    t.is(put?.path, `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${run.run_id}/artifacts/checkpoint/weights.bin`);
    t.deepEqual([...((await server.readArtifact(run.run_id, 'checkpoint/weights.bin')) ?? [])], [1, 2, 3]);
  });
});

test('a failed connection names its cause: refused, unknown host, bad port', async (t) => {
  const stopped = await startFakeMlflow();
  const refusedUrl = stopped.url;
  await stopped.stop();
  const cases: [string, RegExp, boolean][] = [
    [refusedUrl, /no answer from http:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/, true],
    ['http://no-such-host.invalid', /no answer from http:\/\/no-such-host\.invalid \(.*(?:ENOTFOUND|EAI_AGAIN) no-such-host\.invalid\)/, true],
    ['http://127.0.0.1:5060', /Node's fetch refuses port 5060.*another port/, false],
  ];
  for (const [uri, message, retryable] of cases) {
    const error = await t.throwsAsync(new MlflowRestClient({ uri, env: {} }).getOrCreateExperiment('x'), { instanceOf: MlflowApiError });
    t.regex(error?.message ?? '', message, uri);
    t.is(error?.retryable, retryable, uri);
  }
});

test('runs are searched by tag', async (t) => {
  await withServer(async (server) => {
    const client = new MlflowRestClient({ uri: server.url, env: {} });
    const experimentId = await client.getOrCreateExperiment('imdb');
    await client.createRun({ experimentId, runName: 'a', userId: 'u', startTime: 1, tags: { 'attnlab.journal': 'k1' } });
    const wanted = await client.createRun({ experimentId, runName: 'b', userId: 'u', startTime: 2, tags: { 'attnlab.journal': 'k2' } });
    const { runs } = await client.searchRuns({ experimentIds: [experimentId], filter: "tags.`attnlab.journal` = 'k2'" });
    t.deepEqual(
      runs.map((run) => run.info.run_id),
      [wanted.run_id],
    );
  });
});

test('a run deleted through the server is hidden from searches and stamped with deleted_time, as MLflow stores it', async (t) => {
  await withServer(async (server) => {
    const client = new MlflowRestClient({ uri: server.url, env: {} });
    const experimentId = await client.getOrCreateExperiment('imdb');
    const kept = await client.createRun({ experimentId, runName: 'kept', userId: 'u', startTime: 1, tags: {} });
    const gone = await client.createRun({ experimentId, runName: 'gone', userId: 'u', startTime: 2, tags: {} });
    const before = Date.now();
    await client.deleteRun(gone.run_id);
    const { runs } = await client.searchRuns({ experimentIds: [experimentId] });
    t.deepEqual(
      runs.map((run) => run.info.run_id),
      [kept.run_id],
    );
    t.is(server.runs.get(gone.run_id)?.lifecycleStage, 'deleted');
    t.true((server.runs.get(gone.run_id)?.deletedTime ?? 0) >= before);
  });
});
