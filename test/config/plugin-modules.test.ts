/**
 * A user's plugin loads as an ES module from any folder — no package.json, TypeScript or
 * JavaScript, top-level await and relative imports included — and a default export that is not a
 * descriptor says why.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../src/errors.js';
import { importPlugin } from '../../src/plugins/registry.js';

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-plugin-module-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), content);
  return folder;
}

const DESCRIPTOR = `{ kind: 'pooler', name: NAME, description: 'Uniform weights.', schema: { type: 'object', additionalProperties: false, properties: {} },
  create: () => ({ variables: [], attend: () => { throw new Error('not used'); } }) }`;

for (const extension of ['ts', 'js']) {
  test(`a .${extension} plugin with top-level await and a relative import loads in a folder without package.json`, async (t) => {
    const folder = folderWith({
      [`name.${extension}`]: `export const NAME = await Promise.resolve('uniform-${extension}');\n`,
      [`plugin.${extension}`]: `import { NAME } from './name.js';\nexport default ${DESCRIPTOR};\n`,
    });
    const plugin = await importPlugin(join(folder, `plugin.${extension}`));
    t.is(plugin.name, `uniform-${extension}`);
  });
}

const refused = [
  { title: 'a CommonJS module', file: 'plugin.cjs', source: `exports.default = ${DESCRIPTOR.replace('NAME', "'x'")};\n`, reason: /CommonJS module object.*write it as an ES module/ },
  { title: 'no default export', file: 'plugin.ts', source: "export const pooler = 1;\n", reason: /no default export \(it exports pooler\)/ },
  { title: 'a default export that is a function', file: 'plugin.ts', source: 'export default () => 1;\n', reason: /expected a default export .*found function/ },
];

for (const { title, file, source, reason } of refused) {
  test(`a plugin file with ${title} is a plugin-contract error saying why`, async (t) => {
    const folder = folderWith({ [file]: source });
    const error = await t.throwsAsync(importPlugin(join(folder, file)), { instanceOf: PluginError });
    t.is(error?.code, 'plugin-contract');
    t.is(error?.file, join(folder, file));
    t.regex(error?.message ?? '', reason);
  });
}
