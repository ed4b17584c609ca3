/**
 * `attnlab check`: type-checks a user's plugin (and test) files with attnlab's own TypeScript and
 * types, from any folder. A generated tsconfig maps `attnlab`, `attnlab/…`, tfjs, ava and
 * json-schema-to-ts to attnlab's copies, so no node_modules of the user's is needed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { ATTNLAB_ROOT, SHARED_PACKAGES } from '../plugins/module-format.js';

/** The tsconfig a plugin is checked with: strict, as attnlab's own code. */
export function pluginTsconfig(files: readonly string[], root = ATTNLAB_ROOT): object {
  const modules = join(root, 'node_modules');
  const paths: Record<string, string[]> = {
    attnlab: [join(root, 'src', 'plugin-api.ts')],
    'attnlab/*': [join(root, '*')],
    ...Object.fromEntries(SHARED_PACKAGES.map((name) => [name, [join(modules, name)]])),
  };
  return {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      // ES modules whatever the folder, as attnlab loads them; NodeNext would read a missing package.json as CommonJS.
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2023'],
      esModuleInterop: true,
      resolveJsonModule: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      typeRoots: [join(modules, '@types')],
      types: ['node'],
      paths,
    },
    files: [...files],
  };
}

/** Runs tsc on `files`, printing its diagnostics; resolves to 0 when they type-check, else 2. */
export async function typeCheckPlugins(files: readonly string[]): Promise<number> {
  if (files.length === 0) throw new UsageError('expected one or more plugin files, e.g. attnlab check scaled-dot.ts');
  const absolute = files.map((file) => resolve(file));
  const missing = absolute.find((file) => !existsSync(file));
  if (missing) throw new UsageError(`file not found: ${missing}`);
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-check-'));
  const tsconfig = join(folder, 'tsconfig.json');
  writeFileSync(tsconfig, `${JSON.stringify(pluginTsconfig(absolute), null, 2)}\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(process.execPath, [tsc, '--project', tsconfig, '--pretty', 'false'], { stdio: 'inherit' });
      child.on('error', fail);
      child.on('exit', done);
    });
    return code === 0 ? 0 : 2;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
