import test from 'ava';
import { resolveExperimentName, resolveTrackingTarget } from '../../src/tracking/tracker.js';
import { TrackingError } from '../../src/tracking/validation.js';

const cwd = '/work/project';

test('the tracking URI comes from the config, else MLFLOW_TRACKING_URI, else ./runs', (t) => {
  const cases: [string | undefined, Record<string, string>, unknown][] = [
    [undefined, {}, { kind: 'file', root: '/work/project/runs' }],
    [undefined, { MLFLOW_TRACKING_URI: 'http://mlflow:5000/' }, { kind: 'rest', uri: 'http://mlflow:5000' }],
    ['https://host/prefix', { MLFLOW_TRACKING_URI: 'http://other' }, { kind: 'rest', uri: 'https://host/prefix' }],
    ['file:///data/mlruns', {}, { kind: 'file', root: '/data/mlruns' }],
    ['file:./mlruns', {}, { kind: 'file', root: '/work/project/mlruns' }],
    ['../shared/runs', {}, { kind: 'file', root: '/work/shared/runs' }],
    [undefined, { MLFLOW_TRACKING_URI: '' }, { kind: 'file', root: '/work/project/runs' }],
  ];
  for (const [uri, env, expected] of cases) t.deepEqual(resolveTrackingTarget(uri, env, cwd), expected, `${uri} ${JSON.stringify(env)}`);
});

test('a store attnlab cannot write to is named with the fix', (t) => {
  const error = t.throws(() => resolveTrackingTarget(undefined, { MLFLOW_TRACKING_URI: 'databricks://profile' }, cwd), {
    instanceOf: TrackingError,
  });
  t.is(error?.code, 'tracking/unsupported-uri');
  t.regex(error?.message ?? '', /MLFLOW_TRACKING_URI.*"databricks:".*http\(s\)/);
});

test('a database URI points at mlflow server and the REST path', (t) => {
  for (const uri of ['sqlite:///mlflow.db', 'postgresql+psycopg2://u@db/mlflow', 'mysql://db/mlflow']) {
    const error = t.throws(() => resolveTrackingTarget(uri, {}, cwd), { instanceOf: TrackingError });
    t.is(error?.code, 'tracking/database-uri', uri);
    t.true(error?.message.includes(`mlflow server --backend-store-uri ${uri}`), error?.message);
    t.regex(error?.message ?? '', /tracking\.uri.*http:\/\/127\.0\.0\.1:5000/);
  }
});

test('the experiment comes from the option, else MLFLOW_EXPERIMENT_NAME, else Default', (t) => {
  t.is(resolveExperimentName('imdb', { MLFLOW_EXPERIMENT_NAME: 'other' }), 'imdb');
  t.is(resolveExperimentName(undefined, { MLFLOW_EXPERIMENT_NAME: 'other' }), 'other');
  t.is(resolveExperimentName(undefined, {}), 'Default');
});
