/**
 * Sweeps end to end on tiny synthetic trials: resumption after SIGKILL, failures reported while
 * the others finish, and a grown axis running only its new trials.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../../src/tracking/file-store.js';
import { ENTRY, runCli } from '../helpers/cli.js';

interface ChildRun {
  readonly runId: string;
  readonly status: number;
  readonly hash: string;
  readonly index: string;
}

function sweepFolder(axisValues: string, extra = '', epochs = 3): string {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-sweep-'));
  writeFileSync(
    join(folder, 'base.yaml'),
    `data: { type: synthetic, size: 300, test_size: 100 }
embeddings: { type: random, dim: 8 }
model: { type: classifier, pooler: { type: fixed-query } }
train: { epochs: ${epochs}, lr: 0.01, max_length: 32 }
tracking: { uri: ${join(folder, 'runs')} }
${extra}`,
  );
  writeFileSync(join(folder, 'grid.yaml'), `base: ./base.yaml\ngrid:\n  train.lr: ${axisValues}\nseeds: [0, 1]\nparallel: 2\n`);
  return folder;
}

/** The sweep's child runs that MLflow shows (deleted attempts are hidden). */
async function childRuns(folder: string): Promise<ChildRun[]> {
  const store = new FileStore(join(folder, 'runs'));
  const runs: ChildRun[] = [];
  for (const meta of await store.listRuns('0')) {
    const tags = await store.readValues('0', meta.run_id, 'tags');
    if (tags['mlflow.parentRunId']) runs.push({ runId: meta.run_id, status: meta.status, hash: tags['attnlab.trial.hash'], index: tags['attnlab.trial.index'] });
  }
  return runs;
}

const FINISHED = 3;

test.serial('a sweep killed with SIGKILL resumes: every trial FINISHED exactly once, no duplicate child runs', async (t) => {
  // Four one-epoch trials, two at a time: the kill lands after the first finishes, before the last.
  const folder = sweepFolder('[0.01, 0.02]', '', 1);
  const sweep = spawn(process.execPath, [`--import=${import.meta.resolve('tsx')}`, ENTRY, 'sweep', 'grid.yaml'], { cwd: folder, stdio: 'ignore' });
  const deadline = Date.now() + 120_000;
  while ((await childRuns(folder).catch(() => [])).filter((run) => run.status === FINISHED).length < 1) {
    if (Date.now() > deadline) t.fail('no trial finished in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  sweep.kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const afterKill = await childRuns(folder);
  t.true(afterKill.filter((run) => run.status === FINISHED).length < 4, 'the kill came before the end');

  const rerun = await runCli(['sweep', 'grid.yaml'], { cwd: folder });
  t.is(rerun.code, 0, rerun.stderr);
  t.regex(rerun.stderr, /already done/);
  const runs = await childRuns(folder);
  t.is(runs.length, 4, JSON.stringify(runs));
  t.true(runs.every((run) => run.status === FINISHED));
  t.is(new Set(runs.map((run) => run.hash)).size, 4);
  t.deepEqual(runs.map((run) => run.index).sort(), ['0', '1', '2', '3']);
});

test.serial('adding a value to an axis of a finished sweep runs only the new trials', async (t) => {
  const folder = sweepFolder('[0.01]');
  t.is((await runCli(['sweep', 'grid.yaml'], { cwd: folder })).code, 0);
  const before = await childRuns(folder);
  t.is(before.length, 2);
  writeFileSync(join(folder, 'grid.yaml'), 'base: ./base.yaml\ngrid:\n  train.lr: [0.01, 0.03]\nseeds: [0, 1]\nparallel: 2\n');
  const plan = await runCli(['sweep', 'grid.yaml', '--plan'], { cwd: folder });
  t.regex(plan.stdout, /2 done, 2 new/);
  const rerun = await runCli(['sweep', 'grid.yaml'], { cwd: folder });
  t.is(rerun.code, 0, rerun.stderr);
  t.regex(rerun.stderr, /4 trial\(s\), 2 already done, running 2/);
  const after = await childRuns(folder);
  t.is(after.length, 4);
  t.deepEqual(
    after.filter((run) => before.some((old) => old.runId === run.runId)).map((run) => run.runId).sort(),
    before.map((run) => run.runId).sort(),
  );
});

test.serial('a trial that throws and one that exits the process are reported while the others finish', async (t) => {
  const folder = sweepFolder('[0.01]', 'plugins: [./thrower.ts, ./exiter.ts]\n');
  const plugin = (name: string, body: string) => `export default {
  kind: 'pooler', name: '${name}', description: 'breaks on purpose',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  create() { ${body} },
};\n`;
  writeFileSync(join(folder, 'thrower.ts'), plugin('thrower', "throw new Error('thrown on purpose');"));
  writeFileSync(join(folder, 'exiter.ts'), plugin('exiter', 'process.exit(7);'));
  writeFileSync(join(folder, 'grid.yaml'), 'base: ./base.yaml\ngrid:\n  model.pooler.type: [fixed-query, thrower, exiter, mean]\nparallel: 2\n');
  const result = await runCli(['sweep', 'grid.yaml'], { cwd: folder });
  t.is(result.code, 1);
  t.regex(result.stderr, /trial 1 \(model\.pooler\.type="thrower"\): FAILED — .*thrown on purpose\n {4}log: /);
  t.regex(result.stderr, /trial 2 \(model\.pooler\.type="exiter"\): FAILED — the trial's process exited with code 7/);
  const runs = await childRuns(folder);
  t.deepEqual(runs.filter((run) => run.status === FINISHED).map((run) => run.index).sort(), ['0', '3']);
  t.regex(result.stdout, /^trial +overrides/m);
});

test('a bad value on an axis is reported at its line in the sweep file, before anything runs', async (t) => {
  const folder = sweepFolder('[0.01, -1]');
  const result = await runCli(['validate', 'grid.yaml'], { cwd: folder });
  t.is(result.code, 2);
  t.regex(result.stdout, /grid\.yaml:3:3: train\.lr: -1 is out of range: must be > 0 \(in trials with train\.lr=-1\)/);
  const run = await runCli(['sweep', 'grid.yaml'], { cwd: folder });
  t.is(run.code, 2);
  t.deepEqual(await childRuns(folder).catch(() => []), []);
});

test.serial('Ctrl-C stops the workers, marks their runs KILLED, and the sweep resumes', async (t) => {
  const folder = sweepFolder('[0.01, 0.02]');
  const sweep = spawn(process.execPath, [`--import=${import.meta.resolve('tsx')}`, ENTRY, 'sweep', 'grid.yaml'], { cwd: folder, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => sweep.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  while ((await childRuns(folder).catch(() => [])).filter((run) => run.status === 1).length < 1) {
    if (Date.now() > deadline) t.fail('no trial started in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  sweep.kill('SIGINT');
  t.is(await exited, 130);
  const interrupted = await childRuns(folder);
  t.true(interrupted.some((run) => run.status === 5), JSON.stringify(interrupted));
  t.false(interrupted.some((run) => run.status === 1), 'no run left RUNNING');
  const rerun = await runCli(['sweep', 'grid.yaml'], { cwd: folder });
  t.is(rerun.code, 0, rerun.stderr);
  const runs = await childRuns(folder);
  t.is(runs.length, 4);
  t.true(runs.every((run) => run.status === FINISHED));
});

test.serial('on_failure: stop ends the sweep at the first failure', async (t) => {
  const folder = sweepFolder('[0.01]', 'plugins: [./thrower.ts]\n');
  writeFileSync(
    join(folder, 'thrower.ts'),
    "export default { kind: 'pooler', name: 'thrower', description: 'fails', schema: { type: 'object', properties: {} }, create() { throw new Error('no'); } };\n",
  );
  writeFileSync(join(folder, 'grid.yaml'), 'base: ./base.yaml\ngrid:\n  model.pooler.type: [thrower, mean, fixed-query]\nparallel: 1\non_failure: stop\n');
  const result = await runCli(['sweep', 'grid.yaml'], { cwd: folder });
  t.is(result.code, 1);
  t.regex(result.stderr, /trial 0 .*FAILED/);
  t.deepEqual(await childRuns(folder).then((runs) => runs.filter((run) => run.status === FINISHED)), []);
  t.regex(result.stdout, /pending/);
});
