/**
 * A tracking store read and edited after the fact — `attnlab runs`, a sweep resuming — the same
 * for a local folder and a server. A run being recorded goes through `Tracker` instead.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeRunArtifact } from './artifact-uri.js';
import { FileStore, RUN_STATUS_CODES, type RunMeta } from './file-store.js';
import { MlflowRestClient, decodeMetricValue, type MlflowRun } from './rest.js';
import { currentUser } from './run-record.js';
import { DEFAULT_EXPERIMENT, resolveTrackingTarget, type EndStatus, type RunStatus } from './tracker.js';
import { errorTagValue, MLFLOW_LIMITS } from './validation.js';

export interface StoredRun {
  readonly runId: string;
  readonly runName: string;
  readonly experimentId: string;
  readonly status: RunStatus;
  /** Milliseconds since the epoch. */
  readonly startTime: number;
  readonly endTime?: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  /** The last value of each metric, e.g. `val_accuracy`. */
  readonly metrics: Readonly<Record<string, number>>;
}

interface TrackingStore {
  /**
   * Runs of `experiment`, newest first, at most `limit`; [] when the experiment does not exist.
   * Without `experiment`, every active experiment's in a folder, the Default one's on a server.
   */
  runs(experiment: string | undefined, limit?: number): Promise<StoredRun[]>;
  /**
   * Creates a run in `experiment` unless `existing` finds one, as one step across processes that
   * try at the same moment; returns the id of the run that exists afterwards.
   */
  createRunOnce(experiment: string, runName: string, tags: Readonly<Record<string, string>>, existing: () => Promise<string | undefined>): Promise<string>;
  /** Ends a run; `tags` are set first, and `error` as the tag `attnlab.error`. */
  endRun(experiment: string, runId: string, status: EndStatus, ended?: { readonly error?: unknown; readonly tags?: Readonly<Record<string, string>> }): Promise<void>;
  /** Hides a run (MLflow's soft delete). */
  deleteRun(experiment: string, runId: string): Promise<void>;
  writeArtifact(experiment: string, runId: string, path: string, content: string): Promise<void>;
  /** undefined when absent, and always on a server: nothing reads artifacts back from one yet. */
  readArtifact(experiment: string, runId: string, path: string): Promise<string | undefined>;
}

interface OpenStoreOptions {
  /** As `openTracker`'s: the config's `tracking.uri`, else `MLFLOW_TRACKING_URI`, else `./runs`. */
  readonly uri?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** On a server: how long a `createRunOnce` waits before looking again for a run created at the same moment (ms, default 1000). */
  readonly settleMs?: number;
}

export function openTrackingStore(options: OpenStoreOptions = {}): TrackingStore {
  const env = options.env ?? process.env;
  const target = resolveTrackingTarget(options.uri, env, options.cwd);
  return target.kind === 'file'
    ? fileStore(new FileStore(target.root))
    : serverStore(new MlflowRestClient({ uri: target.uri, env }), options.settleMs ?? 1000);
}

function statusName(code: number): RunStatus {
  const names = Object.keys(RUN_STATUS_CODES) as RunStatus[];
  return names.find((name) => RUN_STATUS_CODES[name] === code) ?? 'RUNNING';
}

const endTags = (ended: { readonly error?: unknown; readonly tags?: Readonly<Record<string, string>> } = {}): Record<string, string> => ({
  ...ended.tags,
  ...(ended.error === undefined ? {} : { 'attnlab.error': errorTagValue(ended.error, MLFLOW_LIMITS.tagValueLength) }),
});

function fileStore(store: FileStore): TrackingStore {
  const experimentId = async (name: string): Promise<string> => (await store.getOrCreateExperiment(name)).experiment_id;
  const artifact = async (experiment: string, runId: string, path: string): Promise<string> => join(store.runDir(await experimentId(experiment), runId), 'artifacts', path);
  const stored = async (meta: RunMeta): Promise<StoredRun> => ({
    runId: meta.run_id,
    runName: meta.run_name,
    experimentId: meta.experiment_id,
    status: statusName(meta.status),
    startTime: meta.start_time,
    ...(meta.end_time === null ? {} : { endTime: meta.end_time }),
    tags: await store.readValues(meta.experiment_id, meta.run_id, 'tags'),
    params: await store.readValues(meta.experiment_id, meta.run_id, 'params'),
    metrics: await store.latestMetrics(meta.experiment_id, meta.run_id),
  });
  return {
    async runs(experiment, limit) {
      const experiments = (await store.listExperiments()).filter((meta) => experiment === undefined || meta.name === experiment);
      const metas: RunMeta[] = [];
      for (const meta of experiments) metas.push(...(await store.listRuns(meta.experiment_id)));
      return Promise.all(metas.sort((a, b) => b.start_time - a.start_time).slice(0, limit).map(stored));
    },
    async createRunOnce(experiment, runName, tags, existing) {
      const id = await experimentId(experiment);
      // The lock makes "look, then create" one step across processes.
      return store.withLock(`create ${experiment} ${runName}`, async () => {
        return (await existing()) ?? (await store.createRun({ experimentId: id, runName, userId: currentUser(), startTime: Date.now(), tags })).run_id;
      });
    },
    async endRun(experiment, runId, status, ended) {
      const id = await experimentId(experiment);
      const tags = endTags(ended);
      if (Object.keys(tags).length > 0) await store.setTags(id, runId, tags);
      await store.endRun(id, runId, status, Date.now());
    },
    async deleteRun(experiment, runId) {
      await store.deleteRun(await experimentId(experiment), runId);
    },
    async writeArtifact(experiment, runId, path, content) {
      const file = await artifact(experiment, runId, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    },
    async readArtifact(experiment, runId, path) {
      return readFile(await artifact(experiment, runId, path), 'utf8').catch(() => undefined);
    },
  };
}

function serverRun(run: MlflowRun): StoredRun {
  const pairs = (entries: readonly { key: string; value: string }[] | undefined): Record<string, string> => Object.fromEntries((entries ?? []).map(({ key, value }) => [key, value]));
  const tags = pairs(run.data?.tags);
  return {
    runId: run.info.run_id,
    runName: run.info.run_name ?? tags['mlflow.runName'] ?? '',
    experimentId: run.info.experiment_id,
    status: run.info.status as RunStatus,
    startTime: Number(run.info.start_time ?? 0),
    ...(run.info.end_time === undefined ? {} : { endTime: Number(run.info.end_time) }),
    tags,
    params: pairs(run.data?.params),
    metrics: Object.fromEntries((run.data?.metrics ?? []).map((metric) => [metric.key, decodeMetricValue(metric.value)])),
  };
}

function serverStore(client: MlflowRestClient, settleMs: number): TrackingStore {
  const experimentId = (name: string): Promise<string> => client.getOrCreateExperiment(name);
  return {
    async runs(experiment, limit) {
      const found = await client.getExperimentByName(experiment ?? DEFAULT_EXPERIMENT);
      if (!found) return [];
      const runs: StoredRun[] = [];
      let pageToken: string | undefined;
      do {
        const page = await client.searchRuns({ experimentIds: [found.experiment_id], maxResults: limit, orderBy: ['attributes.start_time DESC'], pageToken });
        runs.push(...page.runs.map(serverRun));
        pageToken = page.nextPageToken;
      } while (pageToken && (limit === undefined || runs.length < limit));
      return runs.slice(0, limit);
    },
    async createRunOnce(experiment, runName, tags, existing) {
      const found = await existing();
      if (found) return found;
      // A server has no lock: create, look again, keep the first; a task whose own run lost
      // deletes it. Looking again after a pause catches a run created at the same moment that
      // the first look missed.
      const created = (await client.createRun({ experimentId: await experimentId(experiment), runName, userId: currentUser(), startTime: Date.now(), tags })).run_id;
      let winner = created;
      for (const pause of [0, settleMs]) {
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        winner = (await existing()) ?? created;
        if (winner !== created) break;
      }
      if (winner !== created) await client.deleteRun(created);
      return winner;
    },
    async endRun(_experiment, runId, status, ended) {
      for (const [key, value] of Object.entries(endTags(ended))) await client.setTag(runId, key, value);
      await client.updateRun(runId, status, Date.now());
    },
    deleteRun: (_experiment, runId) => client.deleteRun(runId),
    async writeArtifact(experiment, runId, path, content) {
      const found = (await client.searchRuns({ experimentIds: [await experimentId(experiment)], filter: `attributes.run_id = '${runId}'` })).runs[0];
      if (found) await writeRunArtifact(client, found.info, path, new TextEncoder().encode(content));
    },
    readArtifact: async () => undefined,
  };
}
