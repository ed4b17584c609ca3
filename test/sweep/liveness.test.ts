/**
 * What a cluster does to sweeps, with real processes: a trial's processes killed with SIGKILL
 * (scancel's hard kill, a lost node) and array tasks that create the sweep's parent at once.
 */
import test from 'ava';
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SweepDisplay } from '../../src/sweep/display.js';
import { TAG_SWEEP_ROLE } from '../../src/sweep/ledger.js';
import { loadSweep, runSweep, trialLogPath } from '../../src/sweep/sweep.js';
import { FileStore, RUN_STATUS_CODES } from '../../src/tracking/file-store.js';
import { TAG_HEARTBEAT } from '../../src/tracking/heartbeat.js';
import { ENTRY } from '../helpers/cli.js';
import type { RaceRound } from '../fixtures/sweep/parent-race.js';

const TSX = import.meta.resolve('tsx');

/** Every run of every experiment of a file store, with its tags, deleted ones included. */
async function allRuns(root: string) {
  const store = new FileStore(root);
  const found = [];
  for (const experiment of await store.listExperiments()) {
    for (const entry of await readdir(join(root, experiment.experiment_id), { withFileTypes: true })) {
      const meta = entry.isDirectory() ? await store.readRun(experiment.experiment_id, entry.name) : undefined;
      if (meta) found.push({ meta, experiment: experiment.name, tags: await store.readValues(experiment.experiment_id, meta.run_id, 'tags') });
    }
  }
  return found;
}

/** A display that keeps what it prints. */
function recordingDisplay(): { display: SweepDisplay; text: () => string } {
  let text = '';
  const stream = { isTTY: false, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  return { display: new SweepDisplay(stream), text: () => text };
}

test.serial('a trial killed with SIGKILL is left alone while its heartbeat is fresh, then stale: marked KILLED and run again', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-stale-'));
  const root = join(folder, 'runs');
  writeFileSync(
    join(folder, 'base.yaml'),
    `data: { type: synthetic, size: 600, test_size: 100 }
embeddings: { type: random, dim: 8 }
model: { type: classifier, pooler: { type: fixed-query } }
train: { epochs: 3, lr: 0.01, max_length: 32 }
tracking: { uri: ${root} }
`,
  );
  writeFileSync(join(folder, 'grid.yaml'), 'base: ./base.yaml\ngrid:\n  train.lr: [0.01, 0.02]\n');
  // Its own process group, so that one SIGKILL takes the sweep and its worker at once, as scancel does.
  const task = spawn(process.execPath, [`--import=${TSX}`, ENTRY, 'sweep', 'grid.yaml', '--trial', '1'], { cwd: folder, stdio: 'ignore', detached: true });
  const exited = new Promise((resolve) => task.on('exit', resolve));
  const deadline = Date.now() + 120_000;
  let victim: Awaited<ReturnType<typeof allRuns>>[number] | undefined;
  while (!victim) {
    if (Date.now() > deadline) return t.fail('the trial never started');
    victim = (await allRuns(root).catch(() => [])).find((run) => run.tags[TAG_HEARTBEAT] && run.tags['attnlab.trial.index'] === '1');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  process.kill(-(task.pid as number), 'SIGKILL');
  await exited;
  t.is((await new FileStore(root).readRun('0', victim.meta.run_id))?.status, RUN_STATUS_CODES.RUNNING, 'nobody ended the run');

  const file = join(folder, 'grid.yaml');
  // On this host the dead process is seen at once.
  t.regex((await loadSweep(file, [])).views[1].death ?? '', /^its process .*:\d+ is gone$/);
  // Seen from another host (its process cannot be looked up), only the heartbeat tells.
  const elsewhere = { isAlive: () => true };
  const logDir = join(folder, 'logs');
  const fresh = recordingDisplay();
  const skipped = await runSweep(file, [], { trial: 1, signal: new AbortController().signal, display: fresh.display, logDir, ...elsewhere });
  t.is(skipped.runningElsewhere, 1);
  t.regex(fresh.text(), /1 running elsewhere \(heartbeat fresh; left alone\), running 0/);

  const later = recordingDisplay();
  const heartbeat = Number(victim.tags[TAG_HEARTBEAT]);
  const rerun = await runSweep(file, [], { trial: 1, signal: new AbortController().signal, display: later.display, logDir, ...elsewhere, now: () => heartbeat + 3_600_000, staleAfterMs: 60_000 });
  t.is(rerun.failed, 0, later.text());
  const runs = await allRuns(root);
  const old = runs.find((run) => run.meta.run_id === victim.meta.run_id);
  t.is(old?.meta.status, RUN_STATUS_CODES.KILLED);
  t.regex(old?.tags['attnlab.note'] ?? '', /^no heartbeat since .*marked KILLED and run again/);
  const trials = runs.filter((run) => run.tags['attnlab.trial.index'] === '1' && run.meta.lifecycle_stage === 'active');
  t.deepEqual(trials.map((run) => run.meta.status), [RUN_STATUS_CODES.FINISHED]);
  t.regex(readFileSync(trialLogPath(logDir, { hash: trials[0].tags['attnlab.trial.hash'] } as Parameters<typeof trialLogPath>[1]), 'utf8'), new RegExp(`^trial 1 .*run ${trials[0].meta.run_id}\n`));
});

const RACE = fileURLToPath(new URL('../fixtures/sweep/parent-race.ts', import.meta.url));
const TASKS = 8;

test('8 array tasks × 5 rounds creating the parent at once, default and named experiment: one experiment, one parent, every trial once', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'attnlab-race-'));
  const rounds: RaceRound[] = [
    ...Array.from({ length: 5 }, (_, round) => ({ root: join(base, `default-${round}`) })),
    ...Array.from({ length: 5 }, (_, round) => ({ root: join(base, `named-${round}`), experiment: 'grid' })),
  ];
  // The last named store again: a resubmitted array finds every trial done.
  rounds.push(rounds[rounds.length - 1]);
  const tasks = Array.from({ length: TASKS }, (_, trial) => fork(RACE, [String(trial), JSON.stringify(rounds)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const nextMessage = (task: (typeof tasks)[number]) =>
    new Promise<unknown>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`a task exited with ${code}`));
      task.once('exit', exited);
      task.once('message', (message) => {
        task.off('exit', exited);
        resolve(message);
      });
    });
  for (const _round of rounds) {
    await Promise.all(tasks.map(nextMessage));
    const done = Promise.all(tasks.map(nextMessage));
    for (const task of tasks) task.send('go');
    await done;
  }
  for (const round of new Set(rounds)) {
    const name = round.experiment ?? 'Default';
    const experiments = (await new FileStore(round.root).listExperiments()).filter((experiment) => experiment.name === name);
    t.is(experiments.length, 1, `${round.root}: one experiment named ${name}`);
    const runs = (await allRuns(round.root)).filter((run) => run.meta.lifecycle_stage === 'active');
    const parents = runs.filter((run) => run.tags[TAG_SWEEP_ROLE] === 'parent');
    t.is(parents.length, 1, `${round.root}: one parent`);
    const children = runs.filter((run) => run.tags['attnlab.trial.hash']);
    t.deepEqual(children.map((run) => run.tags['attnlab.trial.hash']).sort(), Array.from({ length: TASKS }, (_, trial) => `trial-${trial}`).sort(), `${round.root}: every trial once`);
    t.true(children.every((run) => run.tags['mlflow.parentRunId'] === parents[0].meta.run_id));
    const folders = readdirSync(join(round.root, experiments[0].experiment_id), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    t.deepEqual(folders.filter((entry) => !existsSync(join(round.root, experiments[0].experiment_id, entry.name, 'meta.yaml'))).map((entry) => entry.name), [], 'no run folder without meta.yaml');
  }
});
