import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePluginSkeleton } from '../../src/scaffold/new-plugin.js';
import { runCliInProcess } from '../helpers/cli.js';

type EditorSchema = { definitions: { pooler: { properties: { type: { anyOf: { enum: string[] }[] } } } } };

test.serial('attnlab schema --config adds the plugins the config (and what it extends) lists', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'attnlab-schema-config-'));
  await writePluginSkeleton({ kind: 'pooler', name: 'scaled-dot', dir });
  writeFileSync(join(dir, 'base.yaml'), 'plugins: [./scaled-dot.ts]\n');
  writeFileSync(join(dir, 'run.yaml'), 'extends: ./base.yaml\nmodel: { pooler: { type: scaled-dot } }\n');
  const printed = await runCliInProcess(['schema', '--config', join(dir, 'run.yaml')]);
  t.is(printed.code, 0, printed.stderr);
  const schema = JSON.parse(printed.stdout) as EditorSchema;
  t.true(schema.definitions.pooler.properties.type.anyOf[0].enum.includes('scaled-dot'));
  const without = JSON.parse((await runCliInProcess(['schema'])).stdout) as EditorSchema;
  t.false(without.definitions.pooler.properties.type.anyOf[0].enum.includes('scaled-dot'));
});
