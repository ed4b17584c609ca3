/**
 * What a scheduler relies on, in process: trial identity, liveness by heartbeat, the indices
 * still to run, refused selections and metrics, the best trial's line, `--summary`, and locks.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/config/load.js';
import { resolveConfigFile } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';
import { withFileLock } from '../../src/fs-lock.js';
import { openSweepLedger } from '../../src/sweep/ledger.js';
import { planSweep, trialHash } from '../../src/sweep/plan.js';
import { TAG_SWEEP, TAG_TRIAL_HASH } from '../../src/sweep/runner.js';
import { bestTrialCommand, loadSweep } from '../../src/sweep/sweep.js';
import { readSweepFile } from '../../src/sweep/sweep-file.js';
import { FileStore } from '../../src/tracking/file-store.js';
import { deathOf, TAG_HEARTBEAT, TAG_PROCESS, TAG_SCHEDULER_TASK } from '../../src/tracking/heartbeat.js';
import { flattenParams } from '../../src/tracking/run-record.js';
import type { EndStatus } from '../../src/tracking/tracker.js';
import { REPO, runCliInProcess } from '../helpers/cli.js';

/** A sweep of 8 tiny trials (4 learning rates × 2 seeds) with a `set:` block, its store inside the folder. */
function sweepFolder(extra = ''): string {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-scheduler-'));
  writeFileSync(
    join(folder, 'base.yaml'),
    `data: { type: synthetic, size: 300, test_size: 100 }
embeddings: { type: random, dim: 8 }
model: { type: classifier, pooler: { type: fixed-query } }
train: { epochs: 2, lr: 0.01, max_length: 32 }
tracking: { uri: ${join(folder, 'runs')} }
`,
  );
  writeFileSync(
    join(folder, 'grid.yaml'),
    `base: ./base.yaml
set:
  model.pooler.type: mean
  data.size: 400
  train.lr_decay: { factor: 0.5, patience: 1 }
grid:
  train.lr: [0.01, 0.02, 0.05, 0.1]
seeds: [0, 1]
${extra}`,
  );
  return folder;
}

/** Records a child run of the sweep for `hash`, as a trial's worker would. */
async function recordTrial(
  folder: string,
  parentRunId: string,
  hash: string,
  status: EndStatus | 'RUNNING',
  extra: { heartbeat?: number; valAccuracy?: number; tags?: Record<string, string> } = {},
): Promise<string> {
  const store = new FileStore(join(folder, 'runs'));
  const tags: Record<string, string> = { 'mlflow.parentRunId': parentRunId, [TAG_SWEEP]: 'grid', [TAG_TRIAL_HASH]: hash, ...extra.tags };
  if (extra.heartbeat !== undefined) tags[TAG_HEARTBEAT] = String(extra.heartbeat);
  const run = await store.createRun({ experimentId: '0', runName: 'trial', userId: 'test', startTime: extra.heartbeat === undefined ? Date.now() : extra.heartbeat - 1000, tags });
  if (extra.valAccuracy !== undefined) {
    await store.logMetric('0', run.run_id, { key: 'best_val_accuracy', value: extra.valAccuracy, timestamp: 1, step: 1 });
    await store.logMetric('0', run.run_id, { key: 'test_accuracy', value: extra.valAccuracy - 0.01, timestamp: 1, step: 1 });
  }
  if (status !== 'RUNNING') await store.endRun('0', run.run_id, status, Date.now());
  return run.run_id;
}

async function parentOf(folder: string): Promise<string> {
  return (await openSweepLedger({ uri: join(folder, 'runs'), sweepName: 'grid' })).ensureParent({});
}

test.serial('trial identity does not depend on the directory the sweep is planned from', async (t) => {
  const folder = sweepFolder();
  const elsewhere = mkdtempSync(join(tmpdir(), 'attnlab-elsewhere-'));
  const saved = process.cwd();
  const hashes: string[][] = [];
  try {
    for (const cwd of [REPO, elsewhere]) {
      process.chdir(cwd);
      hashes.push((await planSweep(readSweepFile(join(folder, 'grid.yaml')), [])).trials.map((trial) => trial.hash));
    }
  } finally {
    process.chdir(saved);
  }
  t.is(new Set(hashes[0]).size, 8);
  t.deepEqual(hashes[1], hashes[0]);
});

test('a RUNNING trial is running while its heartbeat is fresh and stale once it is older than the threshold', async (t) => {
  const folder = sweepFolder();
  const { plan } = await loadSweep(join(folder, 'grid.yaml'), []);
  const beat = 1_700_000_000_000;
  await recordTrial(folder, await parentOf(folder), plan.trials[3].hash, 'RUNNING', { heartbeat: beat });
  const stateAt = async (now: number) => (await loadSweep(join(folder, 'grid.yaml'), [], { now: () => now, staleAfterMs: 60_000 })).views[3].state;
  t.is(await stateAt(beat + 60_000), 'running');
  t.is(await stateAt(beat + 60_001), 'stale');
});

test.serial('a RUNNING trial whose process on this host is gone, or that this scheduler task started before its requeue, is stale at once', async (t) => {
  const folder = sweepFolder();
  const { plan } = await loadSweep(join(folder, 'grid.yaml'), []);
  const parent = await parentOf(folder);
  const now = Date.now();
  await recordTrial(folder, parent, plan.trials[0].hash, 'RUNNING', { heartbeat: now, tags: { [TAG_PROCESS]: `${hostname()}:${process.pid}` } });
  await recordTrial(folder, parent, plan.trials[1].hash, 'RUNNING', { heartbeat: now, tags: { [TAG_PROCESS]: `${hostname()}:4242` } });
  await recordTrial(folder, parent, plan.trials[2].hash, 'RUNNING', { heartbeat: now, tags: { [TAG_PROCESS]: 'another-host:4242', [TAG_SCHEDULER_TASK]: 'slurm:77_2' } });
  await recordTrial(folder, parent, plan.trials[3].hash, 'RUNNING', { heartbeat: now, tags: { [TAG_PROCESS]: 'another-host:4242', [TAG_SCHEDULER_TASK]: 'slurm:77_3' } });
  const saved = { ...process.env };
  Object.assign(process.env, { SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: '2' });
  try {
    const { views } = await loadSweep(join(folder, 'grid.yaml'), [], { now: () => now, isAlive: (pid) => pid === process.pid });
    t.deepEqual(views.slice(0, 4).map((view) => view.state), ['running', 'stale', 'stale', 'running']);
    t.regex(views[1].death ?? '', /process .*:4242 is gone/);
    t.regex(views[2].death ?? '', /this same scheduler task \(slurm:77_2\)/);
  } finally {
    delete process.env.SLURM_ARRAY_JOB_ID;
    delete process.env.SLURM_ARRAY_TASK_ID;
    Object.assign(process.env, saved);
  }
});

test.serial('--plan --pending lists the trials still to run; --format slurm gives them as array ranges', async (t) => {
  const folder = sweepFolder();
  const { plan } = await loadSweep(join(folder, 'grid.yaml'), []);
  const parent = await parentOf(folder);
  await recordTrial(folder, parent, plan.trials[2].hash, 'FINISHED');
  await recordTrial(folder, parent, plan.trials[3].hash, 'FINISHED');
  await recordTrial(folder, parent, plan.trials[5].hash, 'RUNNING', { heartbeat: Date.now() });
  await recordTrial(folder, parent, plan.trials[6].hash, 'FAILED');
  // A run dead for an hour: stale, so to run again.
  await recordTrial(folder, parent, plan.trials[7].hash, 'RUNNING', { heartbeat: Date.now() - 3_600_000 });
  const lines = await runCliInProcess(['sweep', 'grid.yaml', '--plan', '--pending'], { cwd: folder });
  t.is(lines.code, 0, lines.stderr);
  t.is(lines.stdout, '0\n1\n4\n6\n7\n');
  const slurm = await runCliInProcess(['sweep', 'grid.yaml', '--plan', '--pending', '--format', 'slurm'], { cwd: folder });
  t.is(slurm.stdout, '0-1,4,6-7\n');
  const table = await runCliInProcess(['sweep', 'grid.yaml', '--plan'], { cwd: folder });
  t.regex(table.stdout, /2 done, 1 failed, 1 running, 1 stale, 3 pending/);
});

test.serial('--trial out of range is exit 2 and creates no parent run', async (t) => {
  const folder = sweepFolder();
  for (const args of [['--trial', '8'], ['--plan', '--trial', '8']]) {
    const result = await runCliInProcess(['sweep', 'grid.yaml', ...args], { cwd: folder });
    t.is(result.code, 2, result.stdout);
    t.regex(result.stderr, /--trial 8: grid\.yaml has 8 trial\(s\), numbered 0–7/);
  }
  t.false(existsSync(join(folder, 'runs')), 'nothing written to the store');
});

test.serial('a sweep metric that no run logs is exit 2 before any trial, with a did-you-mean', async (t) => {
  const folder = sweepFolder('metric: val_acuracy\n');
  await t.throwsAsync(planSweep(readSweepFile(join(folder, 'grid.yaml')), []), { instanceOf: ConfigError, message: /metric: runs do not log "val_acuracy".* — did you mean "val_accuracy"\?/ });
  const result = await runCliInProcess(['sweep', 'grid.yaml'], { cwd: folder });
  t.is(result.code, 2);
  t.regex(result.stderr, /grid\.yaml:\d+:\d+: metric: runs do not log/);
  t.false(existsSync(join(folder, 'runs')));
});

/** A shell's reading of the line: words split on spaces, single quotes kept together. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((match) => (match[1] !== undefined ? match[1].replace(/'\\''/g, "'") : match[2]));
}

test('the best trial line, run as printed, resolves to that trial’s config (the set: block included)', async (t) => {
  const folder = sweepFolder();
  const saved = process.cwd();
  process.chdir(folder);
  try {
    // A string YAML would read as a number must come back a string.
    writeFileSync('grid.yaml', readFileSync('grid.yaml', 'utf8').replace('set:\n', "set:\n  tracking.experiment: '2024'\n"));
    const commandLine = parseOverrides(['train.clip_norm=2']);
    const { plan } = await loadSweep('grid.yaml', commandLine);
    for (const trial of [plan.trials[0], plan.trials[5]]) {
      const words = shellWords(bestTrialCommand(plan, trial, commandLine));
      t.deepEqual(words.slice(0, 3), ['attnlab', 'run', 'base.yaml']);
      const sets = words.slice(3).filter((_, index) => index % 2 === 1);
      const { config } = await resolveConfigFile(words[2], parseOverrides(sets));
      t.is(trialHash(config, plan.commit), trial.hash, words.join(' '));
    }
  } finally {
    process.chdir(saved);
  }
});

test.serial('--summary ranks what the store holds, prints the best line and logs summary.csv, running nothing', async (t) => {
  const folder = sweepFolder();
  const { plan } = await loadSweep(join(folder, 'grid.yaml'), []);
  const parent = await parentOf(folder);
  await recordTrial(folder, parent, plan.trials[1].hash, 'FINISHED', { valAccuracy: 0.7 });
  await recordTrial(folder, parent, plan.trials[4].hash, 'FINISHED', { valAccuracy: 0.9 });
  const result = await runCliInProcess(['sweep', 'grid.yaml', '--summary'], { cwd: folder });
  t.is(result.code, 0, result.stderr);
  const rows = result.stdout.split('\n').filter((line) => /^\d/.test(line));
  t.deepEqual(rows.slice(0, 2).map((row) => row.split(/\s+/)[0]), ['4', '1']);
  t.regex(result.stdout, /best trial: attnlab run base\.yaml --set model\.pooler\.type=mean --set data\.size=400 .*--set train\.lr=0\.05 --set seed=0\n/);
  t.regex(result.stderr, /6 trial\(s\) not finished yet/);
  const csv = readFileSync(join(new FileStore(join(folder, 'runs')).runDir('0', parent), 'artifacts', 'summary.csv'), 'utf8');
  t.regex(csv, /^4,train\.lr=0\.05 seed=0,0\.9000/m);
  const runs = await new FileStore(join(folder, 'runs')).listRuns('0');
  t.is(runs.length, 3, 'no trial was started');
});

test('a lock file left by a dead process is taken over once it is older than staleMs', async (t) => {
  const lock = join(mkdtempSync(join(tmpdir(), 'attnlab-lock-')), 'x.lock');
  writeFileSync(lock, '12345 left behind\n');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(lock, hourAgo, hourAgo);
  t.is(await withFileLock(lock, async () => 'held', { staleMs: 60_000 }), 'held');
  t.false(existsSync(lock), 'released after the work');
});

test('a live lock makes the next holder wait, and a holder that never releases ends in lock-timeout', async (t) => {
  const lock = join(mkdtempSync(join(tmpdir(), 'attnlab-lock-')), 'x.lock');
  const order: string[] = [];
  let release!: () => void;
  const first = withFileLock(lock, () => new Promise<void>((resolve) => ((release = resolve), order.push('first in'))));
  while (order.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const second = withFileLock(lock, async () => void order.push('second in'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  order.push('first out');
  release();
  await Promise.all([first, second]);
  t.deepEqual(order, ['first in', 'first out', 'second in']);

  writeFileSync(lock, 'held\n');
  let clock = Date.now();
  const error = await t.throwsAsync(withFileLock(lock, async () => undefined, { staleMs: Number.POSITIVE_INFINITY, timeoutMs: 1000, now: () => (clock += 400) }));
  t.is((error as { code?: string }).code, 'lock-timeout');
});

test('the cost estimate counts data loading, every epoch with its validation, test scoring and the report', async (t) => {
  const folder = sweepFolder();
  const { plan } = await loadSweep(join(folder, 'grid.yaml'), []);
  const store = new FileStore(join(folder, 'runs'));
  await store.getOrCreateExperiment('Default');
  const earlier = await store.createRun({ experimentId: '0', runName: 'earlier', userId: 'test', startTime: 1, tags: {} });
  await store.logParams('0', earlier.run_id, flattenParams(plan.trials[0].config));
  const metrics = { epoch_seconds: 10, val_seconds: 2, data_seconds: 5, test_seconds: 3, report_seconds: 1 };
  for (const [key, value] of Object.entries(metrics)) await store.logMetric('0', earlier.run_id, { key, value, timestamp: 1, step: 1 });
  const { views } = await loadSweep(join(folder, 'grid.yaml'), []);
  // 2 epochs × (10 s training + 2 s validation) + 5 s data + 3 s test + 1 s report.
  t.is(views[0].estimate, 33);
});

test('a process killed whose parent never reaps it (a zombie) counts as gone', async (t) => {
  // `sleep 0` exits at once, and its parent, now `sleep 5`, never waits for it: a zombie.
  const shell = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = Number((await once(shell.stdout, 'data'))[0].toString().trim());
  try {
    let state = '';
    for (let tries = 0; tries < 200 && state !== 'Z'; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
    }
    t.is(state, 'Z', 'the child became a zombie');
    const run = { startTime: Date.now(), tags: { [TAG_HEARTBEAT]: String(Date.now()), [TAG_PROCESS]: `${hostname()}:${pid}` } };
    t.regex(deathOf(run, { now: Date.now(), staleAfterMs: 60_000 }) ?? '', /is gone/);
  } finally {
    shell.kill();
  }
});
