/** Recent runs, newest first, from either store: what `attnlab runs` prints. */
import { openTrackingStore, type StoredRun } from './store.js';

/** A run as `attnlab runs` lists it. */
type RunSummary = Omit<StoredRun, 'tags' | 'params'>;

interface ListRunsOptions {
  /** As `openTracker`'s: the config's `tracking.uri`, else `MLFLOW_TRACKING_URI`, else `./runs`. */
  readonly uri?: string;
  /** Only this experiment (else `MLFLOW_EXPERIMENT_NAME`); every active experiment when neither is set. */
  readonly experiment?: string;
  /** At most this many runs (default 20). */
  readonly limit?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export async function listRuns(options: ListRunsOptions = {}): Promise<RunSummary[]> {
  const env = options.env ?? process.env;
  const experiment = options.experiment ?? (env.MLFLOW_EXPERIMENT_NAME || undefined);
  const runs = await openTrackingStore({ uri: options.uri, env, cwd: options.cwd }).runs(experiment, options.limit ?? 20);
  return runs.map(({ runId, runName, experimentId, status, startTime, endTime, metrics }) => ({
    runId,
    runName,
    experimentId,
    status,
    startTime,
    ...(endTime === undefined ? {} : { endTime }),
    metrics,
  }));
}
