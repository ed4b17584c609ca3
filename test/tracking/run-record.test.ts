import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flattenParams, gitCommit, standardTags } from '../../src/tracking/run-record.js';

test('a config flattens to dotted params, lists as JSON', (t) => {
  const config = {
    model: { pooler: { type: 'additive', units: 64 }, dropout: 0.1 },
    train: { lr: 0.001, shuffle: true, epochs: [1, 2], extra: {} },
    seed: null,
  };
  t.deepEqual(flattenParams(config), {
    'model.pooler.type': 'additive',
    'model.pooler.units': '64',
    'model.dropout': '0.1',
    'train.lr': '0.001',
    'train.shuffle': 'true',
    'train.epochs': '[1,2]',
    'train.extra': '{}',
    seed: 'null',
  });
});

test('standard tags name the run, source, user, commit, config hash and backend', async (t) => {
  const tags = await standardTags({
    runName: 'r1',
    sourceName: 'attnlab',
    cwd: process.cwd(),
    configHash: 'abc123',
    backend: 'wasm',
    env: { USER: 'alice' },
  });
  t.is(tags['mlflow.runName'], 'r1');
  t.is(tags['mlflow.source.name'], 'attnlab');
  t.is(tags['mlflow.source.type'], 'LOCAL');
  t.is(tags['mlflow.user'], 'alice');
  t.is(tags['attnlab.config.sha256'], 'abc123');
  t.is(tags['attnlab.backend'], 'wasm');
  t.regex(tags['mlflow.source.git.commit'] ?? '', /^[0-9a-f]{40}$/);
});

test('outside a git checkout no commit is recorded', async (t) => {
  const outside = await mkdtemp(join(tmpdir(), 'attnlab-no-git-'));
  t.is(await gitCommit(outside), undefined);
  const tags = await standardTags({ runName: 'r', cwd: outside, env: { USER: 'bob' } });
  t.false('mlflow.source.git.commit' in tags);
});
