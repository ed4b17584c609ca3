/**
 * The tests `attnlab new plugin` writes, for every kind, run as generated in this process: each
 * generated file imports ava and attnlab's PluginTester by the specifiers it was written with, in a
 * user's project folder, resolved as `attnlab test` resolves them, and declares its table's checks here.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PLUGIN_KINDS } from '../../src/plugin-api.js';
import { installHooks } from '../../src/plugins/module-format.js';
import { writePluginSkeleton } from '../../src/scaffold/new-plugin.js';
import { REPO } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'attnlab-user-'));
symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
const testFiles: string[] = [];
for (const kind of PLUGIN_KINDS) testFiles.push((await writePluginSkeleton({ kind, name: `my-${kind}`, dir })).testFile);
// ava takes every declaration of a file in one go: one module importing them all evaluates them together.
const index = join(dir, 'all-tests.ts');
writeFileSync(index, testFiles.map((file) => `import ${JSON.stringify(pathToFileURL(file).href)};\n`).join(''));
await installHooks();
await import(pathToFileURL(index).href);
