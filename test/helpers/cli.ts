/** Runs the attnlab CLI from the source tree, as a user would run the installed one. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ENTRY = fileURLToPath(new URL('../../src/cli/entry.ts', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** tsx by absolute URL, so that the CLI runs from any working directory. */
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--import=${TSX}`, ENTRY, ...args],
      { cwd: options.cwd ?? REPO, env: { ...process.env, NO_COLOR: '1', ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs the CLI's `main` in this process, capturing what it prints, with `cwd` and `env` applied
 * for the call's duration. Much faster than `runCli` (no node + tsx start-up per case), for logic
 * a function call can reach; it changes process-wide state, so callers use `test.serial`.
 */
export async function runCliInProcess(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.js');
  const captured = { stdout: '', stderr: '' };
  const writeStdout = process.stdout.write;
  const writeStderr = process.stderr.write;
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      captured[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  const savedExitCode = process.exitCode;
  Object.assign(process.env, { NO_COLOR: '1', ...options.env });
  process.chdir(options.cwd ?? REPO);
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    const code = await main(args);
    return { code, stdout: captured.stdout, stderr: captured.stderr };
  } finally {
    process.stdout.write = writeStdout;
    process.stderr.write = writeStderr;
    process.chdir(savedCwd);
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    process.exitCode = savedExitCode;
  }
}
