/**
 * Liveness of a run: while it trains, a run rewrites its tag `attnlab.heartbeat` (epoch ms) every
 * few seconds — in the file store that is the file `tags/attnlab.heartbeat`, touched each time; on
 * a server, a tag set through the journal. A run still RUNNING whose heartbeat is older than the
 * stale threshold died without ending (SIGKILL, a node lost, a scheduler's hard kill).
 */
import type { Tracker } from './tracker.js';

export const TAG_HEARTBEAT = 'attnlab.heartbeat';
/** How often a running run beats. */
export const DEFAULT_HEARTBEAT_MS = 5_000;
/**
 * How old a heartbeat may be before its run counts as dead: 5 minutes. Generous on purpose: a
 * long synchronous phase (scoring the test split of a recurrent model, converting GloVe) delays
 * beats, and a live run taken for dead would be run twice.
 */
export const DEFAULT_STALE_AFTER_MS = 300_000;

/** `ATTNLAB_STALE_AFTER` (seconds), else {@link DEFAULT_STALE_AFTER_MS}. */
export function staleAfterMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.ATTNLAB_STALE_AFTER);
  return env.ATTNLAB_STALE_AFTER && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_STALE_AFTER_MS;
}

export interface HeartbeatOptions {
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

/** When the run last showed life: its heartbeat, else (a run from before heartbeats) its start. */
export function lastSignOfLife(run: { readonly startTime: number; readonly tags: Readonly<Record<string, string>> }): number {
  const beat = Number(run.tags[TAG_HEARTBEAT]);
  return Number.isFinite(beat) && beat > 0 ? Math.max(beat, run.startTime) : run.startTime;
}
