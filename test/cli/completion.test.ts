import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, runCliInProcess } from '../helpers/cli.js';

const folder = mkdtempSync(join(tmpdir(), 'attnlab-completion-'));
const scripts = (async () => {
  const written: Record<string, string> = {};
  for (const shell of ['bash', 'zsh', 'fish']) {
    const result = await runCliInProcess(['completion', shell]);
    if (result.code !== 0) throw new Error(result.stderr);
    written[shell] = result.stdout;
    writeFileSync(join(folder, `attnlab.${shell}`), result.stdout);
  }
  return written;
})();

/** What bash completes for the words typed so far (the last one being completed), in `cwd`. */
async function complete(words: readonly string[], cwd = REPO): Promise<string[]> {
  await scripts;
  const array = words.map((word) => `'${word}'`).join(' ');
  const script = `source ${join(folder, 'attnlab.bash')}; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _attnlab; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd });
  return stdout.split('\n').filter(Boolean).sort();
}

test.serial('the bash script registers its function for attnlab', async (t) => {
  await scripts;
  const { stdout } = await promisify(execFile)('bash', ['-c', `source ${join(folder, 'attnlab.bash')}; complete -p attnlab`]);
  t.is(stdout.trim(), 'complete -o filenames -F _attnlab attnlab');
});

test.serial('bash completes commands, options, --set keys from the schema and config files', async (t) => {
  t.deepEqual(await complete(['attnlab', 'ru']), ['run', 'runs']);
  t.deepEqual(await complete(['attnlab', 'co']), ['compare', 'completion', 'config']);
  t.deepEqual(await complete(['attnlab', 'run', '--']), ['--help', '--json', '--set', '--threads']);
  t.deepEqual(await complete(['attnlab', 'predict', '--th']), ['--threads']);
  t.deepEqual(await complete(['attnlab', 'run', 'x.yaml', '--set', 'model.encoder.st']), ['model.encoder.state_size=']);
  t.deepEqual(await complete(['attnlab', 'run', 'x.yaml', '--set', 'regularizers.entropy.w']), ['regularizers.entropy.weight=']);
  t.deepEqual(await complete(['attnlab', 'run', 'configs/q4-']), ['configs/q4-gru-attention.yaml', 'configs/q4-lstm-attention.yaml']);
  t.deepEqual(await complete(['attnlab', 'completion', '']), ['bash', 'fish', 'zsh']);
  t.deepEqual(await complete(['attnlab', 'help', 'ex']), ['explain']);
});

test.serial('zsh and fish scripts carry the same commands, options and keys', async (t) => {
  const { zsh, fish } = await scripts;
  t.true(zsh.startsWith('#compdef attnlab\n'));
  t.true(zsh.includes('bashcompinit') && zsh.includes('complete -o filenames -F _attnlab attnlab'));
  t.true(fish.includes("complete -c attnlab -n '__fish_use_subcommand' -a compare -d "));
  t.regex(fish, /complete -c attnlab -n '__fish_seen_subcommand_from run' -l set -s s -x -a '[^']*model\.encoder\.state_size= /);
  t.true(fish.includes("complete -c attnlab -n '__fish_seen_subcommand_from explain' -l html -r -F"));
});

test.serial('an unknown shell is a usage error', async (t) => {
  const result = await runCliInProcess(['completion', 'tcsh']);
  t.is(result.code, 2);
  t.regex(result.stderr, /completion takes one shell: bash, zsh, fish/);
});
