/**
 * attnlab's command line: a thin layer over the programmatic API. Each command lives in
 * `commands/<name>.ts` and is imported only when used, so `attnlab --help` answers at once.
 */
import { parseArgs } from 'node:util';
import type { CommandModule, ParsedArgs } from './command.js';
import { bold, reportError } from './output.js';

const COMMANDS: Record<string, string> = {
  run: 'train and evaluate one experiment from a config',
  sweep: 'run a grid of experiments from a sweep file',
  validate: 'check run configs and sweep files; print every problem',
  config: 'print the fully resolved config (extends, overrides, defaults)',
  plugins: 'list the registered plugins with their parameters',
  schema: 'print the JSON Schema of a config (for editors)',
  eval: 'evaluate a trained run’s checkpoint on the test split, or on another labelled file',
  predict: 'score new texts with a trained run: predicted label, probabilities, attended words',
  explain: 'show where a trained model’s attention goes, and whether it explains',
  runs: 'list recent runs from the tracking store',
  sync: 'send pending tracking journals to the MLflow server',
  new: 'write a skeleton plugin file and its test',
};

const VERSION = '0.1.0';

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`);
  return `${bold('attnlab')} — declarative experiments for attention-based text classification

Usage: attnlab <command> [options]

Commands:
${lines.join('\n')}

Run \`attnlab <command> --help\` for a command's options.
Environment: MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME, ATTNLAB_IMDB, XDG_CACHE_HOME, NO_COLOR.
`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!(name in COMMANDS)) {
    process.stderr.write(`attnlab: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  const command = ((await import(`./commands/${name}.js`)) as { default: CommandModule }).default;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: attnlab ${command.usage}\n\n${command.help.trim()}\n`);
    return 0;
  }
  let args;
  try {
    args = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`attnlab ${name}: ${(error as Error).message}\nUsage: attnlab ${command.usage}\n`);
    return 2;
  }
  try {
    return await command.run(args as ParsedArgs);
  } catch (error) {
    return reportError(error);
  }
}
