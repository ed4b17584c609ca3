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
 * the option, the known ones and the closest. A missing value is named with what the option takes.
 */
async function optionError(name: string, command: CommandModule, error: Error, args: readonly string[]): Promise<string> {
  const known = [...Object.keys(command.options).map((option) => `--${option}`), '--help'];
  const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(error.message)?.[1];
  const valueless = /^Option '(--[^ ']+)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(error.message)?.[1];
  if (valueless !== undefined) return `attnlab ${name}: ${valueless} takes ${await valueRule(valueless, command)}, found ${followingWord(valueless, args)}`;
  if (unknown === undefined) return `attnlab ${name}: ${error.message}`;
  const guess = closest(unknown, known);
  return `attnlab ${name}: unknown option ${unknown}; known: ${known.join(', ')}${guess ? ` — did you mean ${guess}?` : ''}`;
}

/** What `option` takes: its rule where the CLI states one, else its value as the usage line shows it. */
async function valueRule(option: string, command: CommandModule): Promise<string> {
  if (option === '--threads') return (await import('./threads.js')).THREADS_ALLOWED;
  const shown = new RegExp(`${option}[ =]([^\\]\\s]+)`).exec(command.usage)?.[1];
  return shown === undefined ? 'a value' : `a value (${option} ${shown})`;
}

/** What followed a valueless option: nothing, or the option parseArgs took it for. */
function followingWord(option: string, args: readonly string[]): string {
  const next = args[args.indexOf(option) + 1];
  return next === undefined ? 'nothing' : `the option ${next} (a value that starts with - is written ${option}=${next})`;
}

/**
 * parseArgs takes \`--top -1\` for an option without its value followed by the option \`-1\`; no
 * option is a number, so a negative number goes to the option before it, whose command then
 * says what that option accepts.
 */
function joinNegativeValues(args: readonly string[], options: CommandModule['options']): string[] {
  const takesValue = new Set(Object.entries(options).flatMap(([option, config]) => (config.type === 'string' ? [`--${option}`] : [])));
  const joined: string[] = [];
  for (const arg of args) {
    const previous = joined.at(-1);
    if (previous !== undefined && takesValue.has(previous) && /^-\d/.test(arg)) joined[joined.length - 1] = `${previous}=${arg}`;
    else joined.push(arg);
  }
  return joined;
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
    args = parseArgs({ args: joinNegativeValues(rest, command.options), options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${await optionError(name, command, error as Error, rest)}\nUsage: attnlab ${command.usage}\n`);
    return 2;
  }
  try {
    return await command.run(args as ParsedArgs);
  } catch (error) {
    return reportError(error);
  }
}
