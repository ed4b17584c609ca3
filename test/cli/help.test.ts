import test from 'ava';
import { COMMANDS, loadCommand } from '../../src/cli/main.js';
import { runCliInProcess } from '../helpers/cli.js';

test.serial('attnlab help <command> shows that command’s help', async (t) => {
  const result = await runCliInProcess(['help', 'run']);
  t.is(result.code, 0);
  t.true(result.stdout.startsWith('Usage: attnlab run <config.yaml>'));
  t.is(result.stdout, (await runCliInProcess(['run', '--help'])).stdout);
});

test.serial('an unknown command suggests the closest one', async (t) => {
  const result = await runCliInProcess(['expalin']);
  t.is(result.code, 2);
  t.true(result.stderr.startsWith('attnlab: unknown command "expalin" — did you mean "explain"?\n'));
  t.regex((await runCliInProcess(['help', 'swep'])).stderr, /did you mean "sweep"\?/);
});

test.serial('an unknown option is named with balanced quotes, the known ones and the closest', async (t) => {
  const result = await runCliInProcess(['runs', '--limt', '3']);
  t.is(result.code, 2);
  const [line] = result.stderr.split('\n');
  t.is(line, 'attnlab runs: unknown option --limt; known: --json, --experiment, --limit, --help — did you mean --limit?');
  for (const quote of ['"', "'"]) t.is(line.split(quote).length % 2, 1, `balanced ${quote}`);
  t.regex(result.stderr, /\nUsage: attnlab runs /);
});

test('every usage line names every option of its command', async (t) => {
  for (const name of Object.keys(COMMANDS)) {
    const command = await loadCommand(name);
    for (const option of Object.keys(command.options)) t.true(command.usage.includes(`--${option}`), `${name}: --${option} missing from "${command.usage}"`);
  }
});

test.serial('the main help fits an 80-column terminal, every command in it', async (t) => {
  const { stdout } = await runCliInProcess(['--help']);
  for (const line of stdout.split('\n')) t.true(line.length <= 80, line);
  for (const name of Object.keys(COMMANDS)) t.regex(stdout, new RegExp(`^  ${name} +\\S`, 'm'));
});
