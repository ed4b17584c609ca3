/**
 * `--threads N` on the commands that compute: it sets the kernel threads (overriding
 * `train.threads`), a run records the count it used, and a bad value is a usage error.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { kernelThreadCount, setKernelThreads } from '../../src/nn/threads/pool.js';
import { FileStore } from '../../src/tracking/file-store.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { syntheticConfig, writeConfig } from '../helpers/experiment.js';
import { trainTinyRun } from '../helpers/tiny-run.js';

const CORES = availableParallelism();
const ALLOWED = 'a whole number of threads from 1 to 256 (more than the cores is allowed)';
const OVERSUBSCRIBED = `kernel threads: ${CORES + 1} (more than the ${CORES} cores of this machine: the threads take turns on them)`;

/** Each command that computes, with the arguments it needs besides `--threads`. */
const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  run: ['configs/quickstart.yaml'],
  sweep: ['configs/entropy-grid.yaml'],
  eval: ['no-such-run'],
  predict: ['no-such-run', '--input', 'texts.csv'],
  explain: ['no-such-run'],
};

test.after.always(() => setKernelThreads(1));

for (const [command, args] of Object.entries(COMMANDS)) {
  test.serial(`${command} --help shows --threads`, async (t) => {
    const help = await runCliInProcess([command, '--help']);
    t.is(help.code, 0);
    t.regex(help.stdout, /^Usage: attnlab \S+ .*\[--threads N\]/);
    t.regex(help.stdout, /^ {2}--threads N +threads the kernels split each batch over|^ {2}--threads N +kernel threads of every trial/m);
  });

  test.serial(`${command} --threads with a bad value is a usage error naming the flag, the value and what it takes`, async (t) => {
    for (const value of ['0', '-1', '1.5', 'two', '257', '']) {
      const result = await runCliInProcess([command, ...args, `--threads=${value}`]);
      t.is(result.code, 2, `--threads=${value}: ${result.stderr}`);
      t.is(result.stderr, `error: --threads takes ${ALLOWED}, found "${value}"\n`);
    }
    // Written apart from the flag, a negative number is still the flag's value, not an option.
    const negative = await runCliInProcess([command, ...args, '--threads', '-1']);
    t.is(negative.code, 2);
    t.is(negative.stderr, `error: --threads takes ${ALLOWED}, found "-1"\n`);
    const missing = await runCliInProcess([command, ...args, '--threads']);
    t.is(missing.code, 2);
    t.true(missing.stderr.startsWith(`attnlab ${command}: --threads takes ${ALLOWED}, found nothing\nUsage: attnlab ${command} `), missing.stderr);
    const beforeOption = await runCliInProcess([command, ...args, '--threads', '--plan']);
    t.is(beforeOption.code, 2);
    t.regex(beforeOption.stderr, /--threads takes a whole number of threads .*, found the option --plan/);
  });
}

test('the installed command exits with code 2 on a bad --threads', async (t) => {
  const result = await runCli(['run', 'configs/quickstart.yaml', '--threads', 'two']);
  t.is(result.code, 2);
  t.regex(result.stderr, /--threads takes a whole number of threads from 1 to 256 .*, found "two"/);
});

/** A tiny one-epoch run through `attnlab run … --json`, in its own file store. */
async function tinyRun(...args: string[]) {
  const file = writeConfig(syntheticConfig('  pooler: { type: fixed-query }'));
  const store = join(dirname(file), 'runs');
  const result = await runCliInProcess(['run', file, '--set', `tracking.uri=${store}`, '--set', 'data.size=200', '--set', 'data.test_size=40', '--set', 'train.epochs=1', '--json', ...args]);
  const output = JSON.parse(result.stdout || '{}') as { runId: string; experimentId: string; artifactDir: string; threads: number };
  const params = await new FileStore(store).readValues(output.experimentId, output.runId, 'params');
  return { ...result, output, params, store };
}

test.serial('run --threads overrides train.threads: the log, the JSON and the train.threads param say the count used; the config artifact keeps it as written', async (t) => {
  const run = await tinyRun('--set', 'train.threads=2', '--threads', '1');
  t.is(run.code, 0, run.stderr);
  t.true(run.stderr.split('\n').includes('kernel threads: 1'), run.stderr);
  t.is(run.output.threads, 1);
  t.is(kernelThreadCount(), 1);
  t.is(readFileSync(join(run.store, run.output.experimentId, run.output.runId, 'params', 'train.threads'), 'utf8'), '1');
  const written = parse(readFileSync(join(run.output.artifactDir, 'config.yaml'), 'utf8')) as { train: { threads?: number } };
  t.is(written.train.threads, 2);
});

test.serial('a run without --threads or train.threads records the cores it used, not nothing', async (t) => {
  const run = await tinyRun();
  t.is(run.code, 0, run.stderr);
  t.true(run.stderr.split('\n').includes(`kernel threads: ${CORES}`), run.stderr);
  t.is(run.output.threads, CORES);
  t.is(run.params['train.threads'], String(CORES));
});

test.serial('run --threads beyond the cores runs, and its log says so', async (t) => {
  const run = await tinyRun('--threads', String(CORES + 1));
  t.is(run.code, 0, run.stderr);
  t.true(run.stderr.split('\n').includes(OVERSUBSCRIBED), run.stderr);
  t.is(run.params['train.threads'], String(CORES + 1));
});

test.serial('sweep --threads reaches every trial, and does not change which trials are done', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-threads-sweep-'));
  writeFileSync(join(folder, 'base.yaml'), syntheticConfig('  pooler: { type: fixed-query }', `tracking: { uri: ${join(folder, 'runs')} }`));
  writeFileSync(join(folder, 'grid.yaml'), 'base: ./base.yaml\nset: { data.size: 200, data.test_size: 40, train.epochs: 1, train.threads: 2 }\ngrid:\n  train.lr: [0.01, 0.02]\nparallel: 1\n');
  // Spawned: the trials' processes start with the parent's `--import=tsx`, resolved from its folder.
  const first = await runCli(['sweep', 'grid.yaml', '--threads', '1'], { cwd: folder });
  t.is(first.code, 0, first.stderr);
  const store = new FileStore(join(folder, 'runs'));
  const trials = [];
  for (const meta of await store.listRuns('0')) {
    const [tags, params] = await Promise.all([store.readValues('0', meta.run_id, 'tags'), store.readValues('0', meta.run_id, 'params')]);
    if (tags['mlflow.parentRunId']) trials.push(params['train.threads']);
  }
  t.deepEqual(trials, ['1', '1']);
  const again = await runCli(['sweep', 'grid.yaml', '--threads', '2'], { cwd: folder });
  t.is(again.code, 0, again.stderr);
  t.regex(again.stderr, /2 trial\(s\), 2 already done/);
});

test.serial('eval, predict and explain run on the threads --threads gives, beyond the cores too, and say so', async (t) => {
  const trained = await trainTinyRun(['model.encoder={ type: lstm, state_size: 8 }', 'data.size=200', 'data.test_size=40', 'train.epochs=1']);
  const run = trained.artifactDir ?? '';
  const texts = join(dirname(run), 'texts.csv');
  writeFileSync(texts, 'text\ngood film\nbad film\n');
  for (const threads of [1, 2]) {
    setKernelThreads(3 - threads);
    const evaluated = await runCliInProcess(['eval', run, '--threads', String(threads), '--json']);
    t.is(evaluated.code, 0, evaluated.stderr);
    t.is((JSON.parse(evaluated.stdout) as { threads: number }).threads, threads);
    t.is(kernelThreadCount(), threads);
    setKernelThreads(3 - threads);
    const predicted = await runCliInProcess(['predict', run, '--input', texts, '--threads', String(threads)]);
    t.is(predicted.code, 0, predicted.stderr);
    t.is(kernelThreadCount(), threads);
    setKernelThreads(3 - threads);
    const explained = await runCliInProcess(['explain', run, '--text', 'good film', '--permutations', '2', '--threads', String(threads), '--json']);
    t.is(explained.code, 0, explained.stderr);
    t.is((JSON.parse(explained.stdout) as { threads: number }).threads, threads);
    t.is(kernelThreadCount(), threads);
  }
  const beyond = await runCliInProcess(['eval', run, '--threads', String(CORES + 1)]);
  t.is(beyond.code, 0, beyond.stderr);
  t.true(beyond.stderr.includes(`attnlab: ${OVERSUBSCRIBED}\n`), beyond.stderr);
  const within = await runCliInProcess(['eval', run, '--threads', '1']);
  t.false(within.stderr.includes('kernel threads'), within.stderr);
});
