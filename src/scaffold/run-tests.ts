/**
 * `attnlab test`: runs a plugin's test files with ava and tsx from attnlab's own dependencies,
 * from any folder, with no package.json or node_modules of the user's. The test files and the
 * plugins they load run as ES modules, and `ava`, `attnlab/…` and tfjs resolve to attnlab's copies.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors.js';
import { ENTRIES_VARIABLE } from '../plugins/module-format.js';

/** Training a plugin for a few steps on a loaded machine takes far longer than ava's 10 s default. */
export const DEFAULT_TEST_TIMEOUT = '5m';

export interface TestRequest {
  readonly files: readonly string[];
  /** ava's per-test timeout, e.g. `90s` or `5m`. */
  readonly timeout?: string;
}

/** Runs ava on `files` (from the first file's folder); resolves to ava's exit code. */
export async function runPluginTests(request: TestRequest): Promise<number> {
  if (request.files.length === 0) throw new UsageError('expected one or more test files, e.g. attnlab test scaled-dot.test.ts');
  const files = request.files.map((file) => resolve(file));
  const missing = files.find((file) => !existsSync(file));
  if (missing) throw new UsageError(`test file not found: ${missing}`);
  const timeout = request.timeout ?? DEFAULT_TEST_TIMEOUT;
  if (!/^\d+(ms|s|m)?$/.test(timeout)) throw new UsageError(`--timeout ${JSON.stringify(timeout)}: expected a duration such as 90s or 5m`);
  const require = createRequire(import.meta.url);
  // ava exports no package.json; its cli sits beside the entry point `import 'ava'` resolves to.
  const ava = join(dirname(require.resolve('ava')), 'cli.mjs');
  const config = writeAvaConfig(require, timeout);
  try {
    return await new Promise<number>((done, fail) => {
      const child = spawn(process.execPath, [ava, '--config', config, ...files], {
        cwd: dirname(files[0]),
        stdio: 'inherit',
        env: { ...process.env, [ENTRIES_VARIABLE]: JSON.stringify(files) },
      });
      child.on('error', fail);
      child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
    });
  } finally {
    rmSync(dirname(config), { recursive: true, force: true });
  }
}

/** An ava config in a folder of its own: TypeScript as modules, through tsx and attnlab's hooks. */
function writeAvaConfig(require: NodeJS.Require, timeout: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-test-'));
  const hooks = new URL(`../plugins/register-hooks${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
  const config = {
    extensions: { ts: 'module', js: true },
    nodeArguments: [`--import=${pathToFileURL(require.resolve('tsx')).href}`, `--import=${hooks}`],
    workerThreads: false,
    timeout,
  };
  const file = join(folder, 'ava.config.mjs');
  writeFileSync(file, `export default ${JSON.stringify(config, null, 2)};\n`);
  return file;
}
