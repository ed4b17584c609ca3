import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { configPlugins, loadConfig } from '../../src/config/load.js';
import type { ResolvedConfig, UserConfig } from '../../src/config/types.js';
import { resolveConfigFile } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';

function writeFiles(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'attnlab-user-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

// Checked by the compiler: what a file may say, as the schema types it (every key optional,
// `extends` included), and the resolved config frozen all the way down.
// @ts-expect-error a key the schema does not have
export const unknownKey: UserConfig = { trian: {} };
// @ts-expect-error a value of the wrong type
export const wrongType: UserConfig = { seed: 'zero' };
// @ts-expect-error the resolved config is read-only
export const assign = (config: ResolvedConfig): void => void (config.train.epochs = 1);

test('a UserConfig value, written as YAML, is a config file that resolves to what it says', async (t) => {
  const written: UserConfig = { extends: './base.yaml', train: { epochs: 3 }, model: { type: 'classifier', pooler: { type: 'mean' } } };
  const dir = writeFiles({ 'base.yaml': 'seed: 4\n', 'run.yaml': stringify(written) });
  const { config } = await resolveConfigFile(join(dir, 'run.yaml'));
  t.like(config, { seed: 4, train: { epochs: 3 }, model: { pooler: { type: 'mean' } } });
});

test('extends, one path or a list of them, is read as the schema types it', (t) => {
  const dir = writeFiles({ 'base.yaml': 'seed: 4\n', 'other.yaml': 'train: { epochs: 2 }\n', 'one.yaml': 'extends: ./base.yaml\n', 'two.yaml': 'extends: [./base.yaml, ./other.yaml]\n' });
  t.is(loadConfig(join(dir, 'one.yaml')).data.seed, 4);
  t.deepEqual(loadConfig(join(dir, 'two.yaml')).data, { seed: 4, train: { epochs: 2 } });
});

test('extends that is not a path nor a list of paths is extends-type, at its line', (t) => {
  const dir = writeFiles({ 'run.yaml': 'seed: 1\nextends: { file: ./base.yaml }\n' });
  const error = t.throws(() => loadConfig(join(dir, 'run.yaml')), { instanceOf: ConfigError });
  t.is(error?.code, 'extends-type');
  t.like(error?.problems[0]?.location, { line: 2 });
});

test('plugins: a list of paths is made absolute; a list holding anything else loads none and is reported where it is written', async (t) => {
  const dir = writeFiles({ 'good.yaml': 'plugins: [./mine.ts]\n', 'bad.yaml': 'plugins:\n  - ./mine.ts\n  - 3\n' });
  t.deepEqual(configPlugins(join(dir, 'good.yaml')), [join(dir, 'mine.ts')]);
  t.deepEqual(configPlugins(join(dir, 'bad.yaml')), []);
  const error = await t.throwsAsync(resolveConfigFile(join(dir, 'bad.yaml')), { instanceOf: ConfigError });
  t.like(error?.problems[0], { code: 'wrong-type', path: 'plugins.1', location: { line: 3 } });
});
