/**
 * What a user does, in a folder of their own outside attnlab with no package.json and no
 * node_modules: a new plugin, its test and type-check as documented, a run, explain, a sweep over
 * its param — and after an edit of the plugin, the sweep runs its trials again.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';

/** The commands `attnlab new plugin` prints after "Test it:" and "Type-check it:". */
function printedCommands(stdout: string): { test: string[]; check: string[] } {
  const line = (label: string): string[] => (new RegExp(`^${label}:\\s+attnlab (.+)$`, 'm').exec(stdout)?.[1] ?? '').split(' ');
  return { test: line('Test it'), check: line('Type-check it') };
}

test('a plugin written, tested, type-checked, run, explained and swept outside the package; editing it re-runs its trials', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'attnlab-outside-'));
  const created = await runCli(['new', 'plugin', 'pooler', 'scaled-dot'], { cwd: dir });
  t.is(created.code, 0, created.stderr);
  t.false(existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'node_modules')));
  const commands = printedCommands(created.stdout);
  t.deepEqual(commands.test, ['test', 'scaled-dot.test.ts']);

  const tested = await runCli(commands.test, { cwd: dir });
  t.is(tested.code, 0, tested.stdout + tested.stderr);
  const checked = await runCli(commands.check, { cwd: dir });
  t.is(checked.code, 0, checked.stdout + checked.stderr);

  const store = join(dir, 'runs');
  const printed = /\n {2}(plugins: .*)\n {2}(model: .*)\n/.exec(created.stdout);
  const settings = stringify({
    data: { type: 'synthetic', size: 160, test_size: 40 },
    embeddings: { type: 'random', dim: 8 },
    train: { epochs: 1, batch_size: 32, max_length: 16 },
    tracking: { uri: store },
  });
  writeFileSync(join(dir, 'run.yaml'), `${printed?.[1]}\n${printed?.[2]}\n${settings}`);
  const run = await runCli(['run', 'run.yaml', '--json'], { cwd: dir });
  t.is(run.code, 0, run.stderr);
  const { runId } = JSON.parse(run.stdout) as { runId: string };
  const runFolder = readdirSync(store).map((experiment) => join(store, experiment, runId)).find(existsSync) ?? '';
  t.is(readFileSync(join(runFolder, 'artifacts', 'plugins', 'scaled-dot.ts'), 'utf8'), readFileSync(join(dir, 'scaled-dot.ts'), 'utf8'));
  t.regex(readFileSync(join(runFolder, 'tags', 'attnlab.plugin.scaled-dot.ts.sha256'), 'utf8'), /^[0-9a-f]{64}$/);

  const explained = await runCli(['explain', runId, '--text', 'a fine film', '--json'], { cwd: dir, env: { MLFLOW_TRACKING_URI: store } });
  t.is(explained.code, 0, explained.stderr);

  writeFileSync(join(dir, 'grid.yaml'), 'base: ./run.yaml\ngrid:\n  model.pooler.temperature: [1, 2]\nparallel: 1\n');
  const swept = await runCli(['sweep', 'grid.yaml'], { cwd: dir });
  t.is(swept.code, 0, swept.stdout + swept.stderr);
  t.regex((await runCli(['sweep', 'grid.yaml', '--plan'], { cwd: dir })).stdout, /2 done\nnothing to run/);

  const plugin = join(dir, 'scaled-dot.ts');
  writeFileSync(plugin, readFileSync(plugin, 'utf8').replace('const scale = ', 'const scale = 1 * '));
  t.regex((await runCli(['sweep', 'grid.yaml', '--plan'], { cwd: dir })).stdout, /2 new\n.*for the 2 trial\(s\) to run/);
  const rerun = await runCli(['sweep', 'grid.yaml'], { cwd: dir });
  t.is(rerun.code, 0, rerun.stdout + rerun.stderr);
  t.regex((await runCli(['sweep', 'grid.yaml', '--plan'], { cwd: dir })).stdout, /2 done\nnothing to run/);
});
