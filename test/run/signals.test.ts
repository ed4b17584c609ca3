/**
 * The CLI's contract on signals: `attnlab run` stopped by SIGTERM mid-epoch ends its run KILLED
 * with what it had logged on disk, says how to resume, exits 143 — within the 2 s a scheduler
 * leaves between SIGTERM and SIGKILL (SLURM's KillWait is 30 s, Kubernetes' grace period 30 s).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore, RUN_STATUS_CODES } from '../../src/tracking/file-store.js';
import { ENTRY } from '../helpers/cli.js';

test('SIGTERM mid-epoch: the run is KILLED with its epochs on disk, within 2 s, exit 143 and a resume hint', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-sigterm-'));
  const root = join(folder, 'runs');
  writeFileSync(
    join(folder, 'quick.yaml'),
    `name: quick
data: { type: synthetic, size: 3000, test_size: 100 }
embeddings: { type: random, dim: 16 }
model: { type: classifier, pooler: { type: fixed-query } }
train: { epochs: 500, batch_size: 8, lr: 0.01, max_length: 32, patience: 0 }
tracking: { uri: ${root} }
`,
  );
  const child = spawn(process.execPath, [`--import=${import.meta.resolve('tsx')}`, ENTRY, 'run', 'quick.yaml'], { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const store = new FileStore(root);
  // Once epoch 1 is logged, epoch 2 is training: the signal lands in the middle of it.
  const deadline = Date.now() + 120_000;
  let runId: string | undefined;
  while (!runId) {
    if (Date.now() > deadline) return t.fail(`no epoch logged in time: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [run] = await store.listRuns('0').catch(() => []);
    if (run && existsSync(join(store.runDir('0', run.run_id), 'metrics', 'val_accuracy'))) runId = run.run_id;
  }
  if (existsSync(`/proc/${child.pid}/cmdline`)) {
    t.is(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')[0], 'attnlab', 'a process title schedulers can parse');
  }
  const signalled = Date.now();
  child.kill('SIGTERM');
  // A safety net, not the measure: a child that ignored the signal would train 500 epochs.
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  t.is(await exited, 143);
  clearTimeout(timer);
  const exitedAfter = Date.now() - signalled;
  const meta = await store.readRun('0', runId);
  t.is(meta?.status, RUN_STATUS_CODES.KILLED);
  t.true((meta?.end_time ?? Number.POSITIVE_INFINITY) - signalled < 2000, `ended ${(meta?.end_time ?? 0) - signalled} ms after SIGTERM`);
  t.true(exitedAfter < 2000, `exited ${exitedAfter} ms after SIGTERM`);
  const epochsLogged = readFileSync(join(store.runDir('0', runId), 'metrics', 'val_accuracy'), 'utf8').trim().split('\n');
  t.true(epochsLogged.length >= 1, 'the finished epochs are on disk');
  t.false(existsSync(join(store.runDir('0', runId), 'metrics', 'test_accuracy')), 'stopped, not finished');
  t.regex(stderr, /SIGTERM received: stopping after the current batch/);
  t.regex(stderr, new RegExp(`interrupted by SIGTERM: run ${runId} marked KILLED .*run the same command again`));
  t.log(`exit ${exitedAfter} ms after SIGTERM`);
});
