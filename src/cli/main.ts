/**
 * attnlab's command line: a thin layer over the programmatic API. Each command lives in
 * `commands/<name>.ts` and is imported only when used, so `attnlab --help` answers at once.
 */
import { parseArgs } from 'node:util';
import type { CommandModule, ParsedArgs } from './command.js';
import { closest } from '../errors.js';
import { bold, reportError } from './output.js';
import { connectTerminal } from '../terminal.js';

export const COMMANDS: Record<string, string> = {
  run: 'train and evaluate one experiment from a config',
  sweep: 'run a grid of experiments from a sweep file',
  validate: 'check run configs and sweep files; print every problem',
  config: 'print the fully resolved config (extends, overrides, defaults)',
  plugins: 'list the registered plugins with their parameters',
  schema: 'print the JSON Schema of a config (for editors)',
  eval: 'score a trained run on its test split, or on another labelled file',
  predict: 'label new texts with a trained run, with class probabilities',
  explain: 'where a trained model’s attention goes; does it explain?',
  runs: 'list recent runs from the tracking store',
  compare: 'runs (or a sweep’s trials) side by side, as a page and a table',
  sync: 'send pending tracking journals to the MLflow server',
  new: 'write a skeleton plugin file and its test',
  test: 'run a plugin’s tests with attnlab’s own ava, from any folder',
  check: 'type-check plugin files with attnlab’s own TypeScript and types',
  completion: 'a shell completion script: attnlab completion bash|zsh|fish',
};

const VERSION = '0.1.0';

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`);
  return `${bold('attnlab')} — declarative experiments for attention-based text classification

Usage: attnlab <command> [options]

Commands:
${lines.join('\n')}

A command's options: \`attnlab help <command>\` or \`attnlab <command> --help\`.
Environment: MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME, ATTNLAB_IMDB,
ATTNLAB_CACHE, XDG_CACHE_HOME, ATTNLAB_STALE_AFTER, ATTNLAB_SIMD, NO_COLOR.
`;
}

/** The command module of `name`, one of COMMANDS. */
export async function loadCommand(name: string): Promise<CommandModule> {
  return ((await import(`./commands/${name}.js`)) as { default: CommandModule }).default;
}

function commandHelp(command: CommandModule): string {
  return `Usage: attnlab ${command.usage}\n\n${command.help.trim()}\n`;
}

function unknownCommand(name: string): string {
  const guess = closest(name, Object.keys(COMMANDS));
  return `attnlab: unknown command "${name}"${guess ? ` — did you mean "${guess}"?` : ''}\n\n${mainHelp()}`;
}

/**
 * parseArgs's own message for an unknown option quotes unevenly (\`'-- "--x"\`); this one names
 * the option, the known ones and the closest.
 */
function optionError(name: string, command: CommandModule, error: Error): string {
  const known = [...Object.keys(command.options).map((option) => `--${option}`), '--help'];
  const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(error.message)?.[1];
  if (unknown === undefined) return `attnlab ${name}: ${error.message}`;
  const guess = closest(unknown, known);
  return `attnlab ${name}: unknown option ${unknown}; known: ${known.join(', ')}${guess ? ` — did you mean ${guess}?` : ''}`;
}

export async function main(argv: readonly string[]): Promise<number> {
  connectTerminal({ stdout: process.stdout, stderr: process.stderr });
  const [name, ...rest] = argv;
  if (name === 'help' && rest.length > 0) {
    const [topic] = rest;
    if (!(topic in COMMANDS)) {
      process.stderr.write(unknownCommand(topic));
      return 2;
    }
    process.stdout.write(commandHelp(await loadCommand(topic)));
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!(name in COMMANDS)) {
    process.stderr.write(unknownCommand(name));
    return 2;
  }
  const command = await loadCommand(name);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  let args;
  try {
    args = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${optionError(name, command, error as Error)}\nUsage: attnlab ${command.usage}\n`);
    return 2;
  }
  try {
    return await command.run(args as ParsedArgs);
  } catch (error) {
    return reportError(error);
  }
}
