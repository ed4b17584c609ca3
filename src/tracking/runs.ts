/** Recent runs, newest first, from either store: what `attnlab runs` prints. */
import { FileStore, RUN_STATUS_CODES } from './file-store.js';
import type { RunMeta } from './file-store.js';
import { MlflowRestClient, decodeMetricValue } from './rest.js';
import type { MlflowRun } from './rest.js';
import { resolveTrackingTarget } from './tracker.js';
import type { RunStatus } from './tracker.js';

export interface RunSummary {
  readonly runId: string;
  readonly runName: string;
  readonly experimentId: string;
  readonly status: RunStatus;
  /** Milliseconds since the epoch. */
  readonly startTime: number;
  readonly endTime?: number;
  /** The last value of each metric, e.g. `val_accuracy`, `test_accuracy`. */
  readonly metrics: Readonly<Record<string, number>>;
}

export interface ListRunsOptions {
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
  const target = resolveTrackingTarget(options.uri, env, options.cwd);
  const experiment = options.experiment ?? (env.MLFLOW_EXPERIMENT_NAME || undefined);
  const limit = options.limit ?? 20;
  return target.kind === 'file'
    ? listFileRuns(new FileStore(target.root), experiment, limit)
    : listServerRuns(new MlflowRestClient({ uri: target.uri, env }), experiment ?? 'Default', limit);
}

async function listFileRuns(store: FileStore, experiment: string | undefined, limit: number): Promise<RunSummary[]> {
  const experiments = (await store.listExperiments()).filter((meta) => experiment === undefined || meta.name === experiment);
  const runs: RunMeta[] = [];
  for (const meta of experiments) runs.push(...(await store.listRuns(meta.experiment_id)));
  const newest = runs.sort((a, b) => b.start_time - a.start_time).slice(0, limit);
  return Promise.all(
    newest.map(async (run) => ({
      runId: run.run_id,
      runName: run.run_name,
      experimentId: run.experiment_id,
      status: statusName(run.status),
      startTime: run.start_time,
      ...(run.end_time === null ? {} : { endTime: run.end_time }),
      metrics: await store.latestMetrics(run.experiment_id, run.run_id),
    })),
  );
}

function statusName(code: number): RunStatus {
  const entry = Object.entries(RUN_STATUS_CODES).find(([, value]) => value === code);
  return (entry?.[0] ?? 'RUNNING') as RunStatus;
}

async function listServerRuns(client: MlflowRestClient, experiment: string, limit: number): Promise<RunSummary[]> {
  const found = await client.getExperimentByName(experiment);
  if (!found) return [];
  const { runs } = await client.searchRuns({
    experimentIds: [found.experiment_id],
    maxResults: limit,
    orderBy: ['attributes.start_time DESC'],
  });
  return runs.map(summariseServerRun);
}

function summariseServerRun(run: MlflowRun): RunSummary {
  const metrics: Record<string, number> = {};
  for (const metric of run.data?.metrics ?? []) metrics[metric.key] = decodeMetricValue(metric.value);
  const runName = run.info.run_name ?? run.data?.tags?.find((tag) => tag.key === 'mlflow.runName')?.value ?? '';
  return {
    runId: run.info.run_id,
    runName,
    experimentId: run.info.experiment_id,
    status: run.info.status as RunStatus,
    startTime: Number(run.info.start_time ?? 0),
    ...(run.info.end_time === undefined ? {} : { endTime: Number(run.info.end_time) }),
    metrics,
  };
}
