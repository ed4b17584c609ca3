/**
 * Runs a sweep's pending trials, `parallel` at a time, each in its own worker process; reports
 * failures as they happen; Ctrl-C stops the workers and leaves the sweep resumable.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlannedTrial, SweepPlan } from './plan.js';
import type { TrialRequest, WorkerMessage } from './worker.js';

export const TAG_SWEEP = 'attnlab.sweep';
export const TAG_TRIAL_HASH = 'attnlab.trial.hash';
export const TAG_TRIAL_INDEX = 'attnlab.trial.index';
export const TAG_TRIAL_OVERRIDES = 'attnlab.trial.overrides';

export type TrialOutcome =
  | { readonly status: 'FINISHED'; readonly runId?: string; readonly metrics: Readonly<Record<string, number>> }
  | { readonly status: 'FAILED' | 'KILLED'; readonly runId?: string; readonly error: string; readonly logPath?: string };

export interface RunnerEvents {
  /** A trial's worker started it as run `runId`. */
  started(trial: PlannedTrial, runId: string): void;
  /** A line from the trial (epoch summaries and the like). */
  log(trial: PlannedTrial, message: string): void;
  /** A trial ended; failures are reported here, as they happen. */
  ended(trial: PlannedTrial, outcome: TrialOutcome): void | Promise<void>;
}

export interface RunnerOptions {
  readonly parentRunId: string;
  readonly parallel: number;
  /** Kernel threads of every trial, instead of its `train.threads`. */
  readonly threads?: number;
  readonly stopOnFailure: boolean;
  readonly events: RunnerEvents;
  /** Aborting stops the workers; their trials end KILLED. */
  readonly signal: AbortSignal;
}

const WORKER = fileURLToPath(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export async function runTrials(plan: SweepPlan, pending: readonly PlannedTrial[], options: RunnerOptions): Promise<Map<number, TrialOutcome>> {
  const outcomes = new Map<number, TrialOutcome>();
  const queue = [...pending];
  let stopping = false;
  const runNext = async (): Promise<void> => {
    for (let trial = queue.shift(); trial && !stopping && !options.signal.aborted; trial = queue.shift()) {
      const outcome = await runInWorker(plan, trial, options);
      outcomes.set(trial.index, outcome);
      await options.events.ended(trial, outcome);
      if (outcome.status !== 'FINISHED' && options.stopOnFailure) stopping = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, pending.length) }, runNext));
  return outcomes;
}

function runInWorker(plan: SweepPlan, trial: PlannedTrial, options: RunnerOptions): Promise<TrialOutcome> {
  return new Promise((resolve) => {
    const child: ChildProcess = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let runId: string | undefined;
    let settled: TrialOutcome | undefined;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'started') {
        runId = message.runId;
        options.events.started(trial, runId);
      } else if (message.type === 'log') options.events.log(trial, message.message);
      else if (message.type === 'finished') settled = { status: 'FINISHED', runId, metrics: message.metrics };
      else if (message.type === 'killed') settled = { status: 'KILLED', runId, error: message.error };
      else settled = { status: 'FAILED', runId, error: message.error };
    });
    child.on('exit', (code, signal) => {
      options.signal.removeEventListener('abort', onAbort);
      if (options.signal.aborted) resolve({ status: 'KILLED', runId, error: 'the sweep was interrupted' });
      else if (settled) resolve(settled);
      else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const detail = stderr.trim().split('\n').slice(-3).join(' | ');
        resolve({ status: 'FAILED', runId, error: `the trial's process ${how} before finishing${detail ? `: ${detail}` : ''}` });
      }
    });
    const request: TrialRequest = {
      config: trial.config,
      configDir: dirname(plan.sweep.base),
      parentRunId: options.parentRunId,
      threads: options.threads,
      tags: {
        [TAG_SWEEP]: plan.sweep.name,
        [TAG_TRIAL_HASH]: trial.hash,
        [TAG_TRIAL_INDEX]: String(trial.index),
        [TAG_TRIAL_OVERRIDES]: trial.overrides.map((override) => override.text).join(' ') || '(base)',
      },
    };
    child.send(request);
  });
}
