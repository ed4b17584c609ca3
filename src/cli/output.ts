/** Terminal output that follows the conventions: NO_COLOR, FORCE_COLOR, colour only on a TTY. */
import { AttnlabError, ConfigError } from '../errors.js';

export function useColor(stream: NodeJS.WriteStream = process.stderr): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

const paint = (code: number) => (text: string, stream?: NodeJS.WriteStream) => (useColor(stream) ? `\x1b[${code}m${text}\x1b[0m` : text);
export const red = paint(31);
export const bold = paint(1);
export const dim = paint(2);

/** Prints an error for people (message, no stack) and returns the exit code it calls for. */
export function reportError(error: unknown): number {
  if (error instanceof ConfigError) {
    const count = error.problems.length;
    process.stderr.write(`${red('error')}: ${count} problem${count === 1 ? '' : 's'} in the config\n`);
    for (const problem of error.problems) process.stderr.write(`  ${problem.format()}\n`);
    return error.exitCode;
  }
  if (error instanceof AttnlabError) {
    process.stderr.write(`${red('error')}: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(`${red('internal error')}: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}
