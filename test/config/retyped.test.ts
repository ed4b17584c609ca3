/**
 * A block whose `type` an extending file (or an override) changed is still checked key by key
 * against its plugin's schema: only params left over from the previous type are dropped.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/config/load.js';
import { resolveConfigFile } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';
import { planSweep } from '../../src/sweep/plan.js';
import { readSweepFile } from '../../src/sweep/sweep-file.js';
import { runCliInProcess } from '../helpers/cli.js';

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-retyped-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), content);
  return folder;
}

/** The docs' layout: a base with one pooler, a child that switches it. */
const LAYERS = {
  'base.yaml': 'model:\n  pooler:\n    type: text-query\n    hidden_units: 16\n',
  'child.yaml': 'extends: ./base.yaml\nmodel:\n  pooler:\n    type: additive\n',
};

const typos: { title: string; files: Record<string, string>; config?: string; overrides: string[]; where: string }[] = [
  { title: 'a --set under a type set by extends', files: LAYERS, overrides: ['model.pooler.unts=2'], where: '--set model.pooler.unts=2' },
  {
    title: 'a key of a file extending the retyping file',
    files: { ...LAYERS, 'grandchild.yaml': 'extends: ./child.yaml\nmodel:\n  pooler:\n    unts: 2\n' },
    config: 'grandchild.yaml',
    overrides: [],
    where: 'grandchild.yaml',
  },
  { title: 'a --set after a --set of the type', files: { 'a.yaml': LAYERS['base.yaml'] }, config: 'a.yaml', overrides: ['model.pooler.type=additive', 'model.pooler.unts=2'], where: '--set model.pooler.unts=2' },
];

for (const { title, files, config = 'child.yaml', overrides, where } of typos) {
  test(`a misspelt param is an unknown key with did-you-mean: ${title}`, async (t) => {
    const folder = folderWith(files);
    const error = await t.throwsAsync(resolveConfigFile(join(folder, config), parseOverrides(overrides)), { instanceOf: ConfigError });
    t.deepEqual(
      error?.problems.map((problem) => [problem.code, problem.path, problem.location?.file.replace(`${folder}/`, '')]),
      [['unknown-key', 'model.pooler.unts', where]],
    );
    t.regex(error?.problems[0]?.message ?? '', /did you mean "units"\?/);
  });
}

test('params left over from the previous type are still dropped', async (t) => {
  const folder = folderWith(LAYERS);
  const { config } = await resolveConfigFile(join(folder, 'child.yaml'), parseOverrides(['model.pooler.units=8']));
  t.deepEqual(config.model.pooler, { type: 'additive', units: 8 });
});

test.serial('attnlab validate exits 2 naming the --set and the key it meant', async (t) => {
  const folder = folderWith(LAYERS);
  const result = await runCliInProcess(['validate', join(folder, 'child.yaml'), '--set', 'model.pooler.unts=2']);
  t.is(result.code, 2);
  t.regex(result.stdout + result.stderr, /--set model\.pooler\.unts=2: model\.pooler\.unts: unknown key "unts".*did you mean "units"\?/);
});

test('a sweep over a misspelt key is refused at plan time, at its axis', async (t) => {
  const folder = folderWith({ ...LAYERS, 'grid.yaml': 'base: ./child.yaml\ngrid:\n  model.pooler.unts: [2, 4]\n' });
  const error = await t.throwsAsync(planSweep(readSweepFile(join(folder, 'grid.yaml')), []), { instanceOf: ConfigError });
  t.true(error?.problems.some((problem) => problem.code === 'unknown-key' && problem.location?.file.endsWith('grid.yaml') === true && problem.location.line === 3));
});
