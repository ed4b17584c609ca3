import test from 'ava';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writePluginSkeleton } from '../../src/scaffold/new-plugin.js';
import { REPO, runCli, runCliInProcess } from '../helpers/cli.js';

/** A user's project folder: its own package.json, attnlab's dependencies (ava, tsx) installed. */
function userProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'attnlab-user-'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const ava = { files: ['*.test.ts'], extensions: { ts: 'module' }, nodeArguments: ['--import=tsx'], workerThreads: false, timeout: '2m' };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', ava }));
  return dir;
}

test('attnlab new plugin pooler scaled-dot, then attnlab run with it, works as generated', async (t) => {
  const dir = userProject();
  const created = await runCli(['new', 'plugin', 'pooler', 'scaled-dot', '--dir', dir]);
  t.is(created.code, 0, created.stderr);
  const printed = /\n {2}(plugins: .*)\n {2}(model: .*)\n/.exec(created.stdout);
  t.truthy(printed, created.stdout);
  const settings = stringify({
    data: { type: 'synthetic', size: 240, test_size: 80 },
    embeddings: { type: 'random', dim: 16 },
    train: { epochs: 1, batch_size: 32, max_length: 32 },
    tracking: { uri: join(dir, 'runs') },
  });
  writeFileSync(join(dir, 'scaled-dot.yaml'), `${printed![1]}\n${printed![2]}\n${settings}`);
  const run = await runCli(['run', join(dir, 'scaled-dot.yaml'), '--json']);
  t.is(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { name: string; epochs: unknown[]; testAccuracy: number };
  t.is(result.epochs.length, 1);
  t.true(result.testAccuracy >= 0 && result.testAccuracy <= 1);
});

test.serial('a generated plugin joins validate, plugins and the editor schema', async (t) => {
  const dir = userProject();
  const { pluginFile } = await writePluginSkeleton({ kind: 'pooler', name: 'scaled-dot', dir });
  writeFileSync(join(dir, 'good.yaml'), 'plugins: [./scaled-dot.ts]\nmodel: { pooler: { type: scaled-dot, temperature: 2 } }\n');
  writeFileSync(join(dir, 'typo.yaml'), 'plugins: [./scaled-dot.ts]\nmodel: { pooler: { type: scaled-dot, temprature: 2 } }\n');
  const validated = await runCliInProcess(['validate', join(dir, 'good.yaml'), join(dir, 'typo.yaml')]);
  t.is(validated.code, 2);
  t.regex(validated.stdout, /ok {4}.*good\.yaml/);
  t.regex(validated.stdout, /typo\.yaml:2:\d+: model\.pooler\.temprature: unknown key "temprature".*did you mean "temperature"/);
  const listed = await runCliInProcess(['plugins', 'pooler', '--plugin', pluginFile]);
  t.regex(listed.stdout, /scaled-dot — Scaled dot-product attention[^\n]*\n {4}from .*scaled-dot\.ts\n {4}temperature: number \(> 0\) = 1/);
  const schema = JSON.parse((await runCliInProcess(['schema', '--plugin', pluginFile])).stdout) as { definitions: { pooler: { properties: { type: { anyOf: { enum: string[] }[] } } } } };
  t.true(schema.definitions.pooler.properties.type.anyOf[0].enum.includes('scaled-dot'));
});
