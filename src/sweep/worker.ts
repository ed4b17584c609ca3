/**
 * A sweep trial in its own process, so that a crash (even a native abort or `process.exit` in a
 * plugin) cannot take the sweep down. Receives one {@link TrialRequest}, reports {@link WorkerMessage}s.
 */
import { Writable } from 'node:stream';
import { createContainer } from '../plugins/container.js';
import { silentProgress } from '../progress.js';
import { runResolved } from '../run/experiment.js';
import { InterruptedError } from '../run/interrupt.js';
import type { ResolvedConfig } from '../config/types.js';
import { connectTerminal } from '../terminal.js';

export interface TrialRequest {
  readonly config: ResolvedConfig;
  readonly configDir: string;
  readonly parentRunId: string;
  /** `--threads` of the sweep, instead of the trial's `train.threads`. */
  readonly threads?: number;
  readonly tags: Readonly<Record<string, string>>;
}

export type WorkerMessage =
  | { readonly type: 'started'; readonly runId: string }
  | { readonly type: 'log'; readonly message: string }
  | { readonly type: 'finished'; readonly metrics: Readonly<Record<string, number>> }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'killed'; readonly error: string };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

async function runTrial(request: TrialRequest): Promise<void> {
  try {
    const container = await createContainer(request.config.plugins);
    const result = await runResolved(request.config, container, request.configDir, {
      progress: silentProgress,
      log: (message) => void send({ type: 'log', message }),
      tags: request.tags,
      parentRunId: request.parentRunId,
      threads: request.threads,
      onRunStarted: (runId) => send({ type: 'started', runId }),
      resumeHint: 'rerun the sweep to run this trial again',
    });
    const best = result.epochs[result.bestEpoch - 1];
    await send({
      type: 'finished',
      metrics: {
        val_accuracy: best?.validation.accuracy ?? Number.NaN,
        val_loss: best?.validation.loss ?? Number.NaN,
        test_accuracy: result.testAccuracy,
        epochs: result.epochs.length,
        seconds: result.epochs.reduce((sum, epoch) => sum + epoch.seconds, 0),
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await send(error instanceof InterruptedError ? { type: 'killed', error: message } : { type: 'failed', error: message });
    if (error instanceof InterruptedError) process.exitCode = error.exitCode;
  }
  reported = true;
  process.disconnect?.();
}

// A name schedulers can parse (SLURM's proctrack/linuxproc reads it), whoever started the worker.
process.title = 'attnlab-trial';
// The trial's notices (a cache rebuilt, events left in a journal) reach the sweep as its log lines.
const toSweepLog = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) void send({ type: 'log', message: line });
    callback();
  },
});
connectTerminal({ stdout: toSweepLog, stderr: toSweepLog });

let reported = false;
process.once('message', (request: TrialRequest) => void runTrial(request));
// The sweep died (even by SIGKILL): stop too, through the run's own SIGTERM handling, which
// records the run as KILLED, so that a rerun of the sweep runs this trial again.
process.on('disconnect', () => {
  if (!reported) process.kill(process.pid, 'SIGTERM');
});
