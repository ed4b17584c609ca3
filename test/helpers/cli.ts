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
