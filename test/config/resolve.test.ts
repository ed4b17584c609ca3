import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/config/load.js';
import { resolveConfigFile } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-config-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), content);
  return folder;
}

test('extends merges deeply, lists replace, the child wins', async (t) => {
  const folder = folderWith({
    'base.yaml': 'seed: 3\nplugins: []\ntrain:\n  epochs: 7\n  batch_size: 32\nmodel:\n  pooler:\n    type: text-query\n    hidden_units: 16\n',
    'child.yaml': 'extends: ./base.yaml\ntrain:\n  epochs: 2\nmodel:\n  pooler:\n    activation: relu\n',
  });
  const { config } = await resolveConfigFile(join(folder, 'child.yaml'));
  t.is(config.seed, 3);
  t.is(config.train.epochs, 2);
  t.is(config.train.batch_size, 32);
  t.deepEqual(config.model.pooler, { type: 'text-query', hidden_units: 16, activation: 'relu' });
  t.is(config.name, 'child');
});

test('defaults come from the core and plugin schemas', async (t) => {
  const folder = folderWith({ 'empty.yaml': '{}\n' });
  const { config } = await resolveConfigFile(join(folder, 'empty.yaml'));
  t.is(config.train.batch_size, 64);
  t.is(config.train.max_length, 400);
  t.is(config.train.lr, 0.001);
  t.deepEqual(config.train.optimizer, { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  t.deepEqual(config.model.encoder, { type: 'none' });
  t.deepEqual(config.model.pooler, { type: 'fixed-query', temperature: 1 });
  t.true(Object.isFrozen(config.train));
});

test('--set values are YAML-typed and may switch a plugin, keeping the params it knows', async (t) => {
  const folder = folderWith({ 'lstm.yaml': 'model:\n  encoder:\n    type: lstm\n    state_size: 32\n' });
  const overrides = parseOverrides(['train.epochs=3', 'model.encoder.type=gru', 'train.bucket_by_length=false', 'name=trial']);
  const { config } = await resolveConfigFile(join(folder, 'lstm.yaml'), overrides);
  t.is(config.train.epochs, 3);
  t.false(config.train.bucket_by_length);
  t.is(config.name, 'trial');
  t.deepEqual(config.model.encoder, { type: 'gru', state_size: 32, layers: 1, bidirectional: false, dropout: 0 });
});

test('switching a plugin drops inherited params the new one does not know', async (t) => {
  const folder = folderWith({
    'base.yaml': 'model:\n  pooler:\n    type: text-query\n    hidden_units: 16\n',
    'child.yaml': 'extends: ./base.yaml\nmodel:\n  pooler:\n    type: fixed-query\n',
  });
  const { config } = await resolveConfigFile(join(folder, 'child.yaml'));
  t.deepEqual(config.model.pooler, { type: 'fixed-query', temperature: 1 });
});

test('a param given together with the new type is still checked', async (t) => {
  const folder = folderWith({ 'a.yaml': 'model:\n  pooler:\n    type: text-query\n' });
  const error = await t.throwsAsync(resolveConfigFile(join(folder, 'a.yaml'), parseOverrides(['model.pooler.type=fixed-query', 'model.pooler.hidden_units=3'])), {
    instanceOf: ConfigError,
  });
  t.is(error?.problems[0]?.path, 'model.pooler.hidden_units');
  t.is(error?.problems[0]?.location?.file, '--set model.pooler.hidden_units=3');
});

test('every problem is reported at once', async (t) => {
  const folder = folderWith({ 'bad.yaml': 'seed: -1\ntrain:\n  epochs: 0\n  colour: red\n' });
  const error = await t.throwsAsync(resolveConfigFile(join(folder, 'bad.yaml')), { instanceOf: ConfigError });
  t.deepEqual(
    error?.problems.map((problem) => [problem.path, problem.location?.line]),
    [
      ['seed', 1],
      ['train.epochs', 3],
      ['train.colour', 4],
    ],
  );
});
