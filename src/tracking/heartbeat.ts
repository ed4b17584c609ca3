/**
 * Liveness of a run: while it trains, a run rewrites its tag `attnlab.heartbeat` (epoch ms) every
 * few seconds — in the file store that is the file `tags/attnlab.heartbeat`, touched each time; on
 * a server, a tag set through the journal. A run still RUNNING whose heartbeat is older than the
 * stale threshold died without ending (SIGKILL, a node lost, a scheduler's hard kill).
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Tracker } from './tracker.js';

export const TAG_HEARTBEAT = 'attnlab.heartbeat';
/** Where the run's process lives: `<host>:<pid>`. */
export const TAG_PROCESS = 'attnlab.process';
/** The scheduler's task that runs it (SLURM: `<array job>_<task>` or the job id), when there is one. */
export const TAG_SCHEDULER_TASK = 'attnlab.scheduler.task';
/** How often a running run beats. */
const DEFAULT_HEARTBEAT_MS = 5_000;
/**
 * How old a heartbeat may be before its run counts as dead: 5 minutes. Generous on purpose: a
 * long synchronous phase (scoring the test split of a recurrent model, converting GloVe) delays
 * beats, and a live run taken for dead would be run twice.
 */
const DEFAULT_STALE_AFTER_MS = 300_000;

/** `ATTNLAB_STALE_AFTER` (seconds), else {@link DEFAULT_STALE_AFTER_MS}. */
export function staleAfterMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.ATTNLAB_STALE_AFTER);
  return env.ATTNLAB_STALE_AFTER && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_STALE_AFTER_MS;
}

interface HeartbeatOptions {
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/** Beats once now, then every `intervalMs`; returns the function that stops it. Errors are ignored: a beat is best effort. */
export function startHeartbeat(tracker: Pick<Tracker, 'setTags'>, options: HeartbeatOptions = {}): () => void {
  const now = options.now ?? Date.now;
  const beat = (): void => void tracker.setTags({ [TAG_HEARTBEAT]: String(now()) }).catch(() => undefined);
  beat();
  const timer = setInterval(beat, options.intervalMs ?? DEFAULT_HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The tags that say which process, and which scheduler task, a run belongs to. */
export function ownerTags(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): Record<string, string> {
  const task = schedulerTask(env);
  return { [TAG_PROCESS]: `${hostname()}:${pid}`, ...(task ? { [TAG_SCHEDULER_TASK]: task } : {}) };
}

/** SLURM's id of this task: a requeued or resubmitted task keeps it; no two live tasks share it. */
function schedulerTask(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID) return `slurm:${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`;
  return env.SLURM_JOB_ID ? `slurm:${env.SLURM_JOB_ID}` : undefined;
}

interface DeathEvidence {
  readonly now: number;
  readonly staleAfterMs: number;
  /** Whether a process of this host is alive; `process.kill(pid, 0)` by default. */
  readonly isAlive?: (pid: number) => boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Why a RUNNING run is dead, or undefined while it may be alive: its heartbeat is older than the
 * threshold; or its process, on this host, is gone; or it belongs to this very scheduler task
 * (a requeued task finding its own earlier attempt, which cannot be running any more).
 */
export function deathOf(run: { readonly startTime: number; readonly tags: Readonly<Record<string, string>> }, evidence: DeathEvidence): string | undefined {
  const seen = lastSignOfLife(run);
  if (evidence.now - seen > evidence.staleAfterMs) return `no heartbeat since ${new Date(seen).toISOString()}`;
  const [host, pidText] = (run.tags[TAG_PROCESS] ?? '').split(':');
  const isAlive = evidence.isAlive ?? processIsAlive;
  if (host === hostname() && Number(pidText) > 0 && !isAlive(Number(pidText))) return `its process ${run.tags[TAG_PROCESS]} is gone`;
  const task = schedulerTask(evidence.env);
  if (task && run.tags[TAG_SCHEDULER_TASK] === task) return `it was started by this same scheduler task (${task}), which was requeued`;
  return undefined;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed process whose parent died too stays a zombie until something reaps it, which a
 * container's first process often never does: it answers signals but will never run again.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** When the run last showed life: its heartbeat, else (a run from before heartbeats) its start. */
function lastSignOfLife(run: { readonly startTime: number; readonly tags: Readonly<Record<string, string>> }): number {
  const beat = Number(run.tags[TAG_HEARTBEAT]);
  return Number.isFinite(beat) && beat > 0 ? Math.max(beat, run.startTime) : run.startTime;
}
