/** Terminal output that follows the conventions: NO_COLOR, FORCE_COLOR, colour only on a TTY. */
import { AttnlabError, ConfigError } from '../errors.js';
import { useColor } from '../report/terminal.js';

/** Colour as `NO_COLOR` and the terminal allow, or forced on with `FORCE_COLOR`. */
function colorOn(stream: NodeJS.WriteStream = process.stderr): boolean {
  const forced = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0';
  return forced ? process.env.NO_COLOR === undefined || process.env.NO_COLOR === '' : useColor(stream);
}

const paint = (code: number) => (text: string, stream?: NodeJS.WriteStream) => (colorOn(stream) ? `\x1b[${code}m${text}\x1b[0m` : text);
export const red = paint(31);
export const bold = paint(1);

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
