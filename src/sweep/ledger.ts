/**
 * What the tracking store knows about a sweep: its parent run and every trial attempt (child
 * runs tagged with their trial's hash), read back so that a rerun resumes where it stopped.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRunArtifact } from '../tracking/artifact-uri.js';
import { FileStore, RUN_STATUS_CODES } from '../tracking/file-store.js';
import { MlflowRestClient, decodeMetricValue } from '../tracking/rest.js';
import { currentUser } from '../tracking/run-record.js';
import { resolveExperimentName, resolveTrackingTarget, type EndStatus, type RunStatus } from '../tracking/tracker.js';
import { TAG_SWEEP, TAG_TRIAL_HASH } from './runner.js';

export const TAG_SWEEP_ROLE = 'attnlab.sweep.role';
const PARENT_TAG = 'mlflow.parentRunId';

/** A run as the sweep sees it. */
export interface RunRecord {
  readonly runId: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  /** Last value of each metric. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** One store's operations, the same for a local folder and a server. */
interface StoreAccess {
  runs(): Promise<RunRecord[]>;
  /** Creates the sweep's parent unless `existing` (read again under the store's lock) finds one; returns its id. */
  createParent(name: string, tags: Record<string, string>, existing: () => Promise<string | undefined>): Promise<string>;
  end(runId: string, status: EndStatus, error?: string, tags?: Record<string, string>): Promise<void>;
  discard(runId: string): Promise<void>;
  writeArtifact(runId: string, path: string, content: string): Promise<void>;
  readArtifact(runId: string, path: string): Promise<string | undefined>;
}

export interface SweepLedger {
  readonly parentRunId?: string;
  /** Every run of the experiment (for cost estimates), and this sweep's attempts among them. */
  readonly runs: readonly RunRecord[];
  /** This sweep's runs of the trial `hash`, under whichever parent they were started. */
  attemptsOf(hash: string): RunRecord[];
  /** Hashes the last run of this sweep planned, when known. */
  previousPlan(): Promise<readonly string[] | undefined>;
  /** Creates the parent run when the sweep has none yet; returns its id. */
  ensureParent(tags: Record<string, string>): Promise<string>;
  /** Ends a run; `tags` (e.g. a note on why) are set first. */
  end(runId: string, status: EndStatus, error?: string, tags?: Record<string, string>): Promise<void>;
  /** Hides a failed or killed attempt that a new attempt replaces, so each trial has one child run. */
  discard(runId: string): Promise<void>;
  writeArtifact(path: string, content: string): Promise<void>;
}

export interface LedgerOptions {
  readonly uri?: string;
  readonly experiment?: string;
  readonly sweepName: string;
  /** On a server: how long a task that created a parent waits before looking again for one created at the same moment (ms, default 1000). */
  readonly settleMs?: number;
}

export async function openSweepLedger(options: LedgerOptions): Promise<SweepLedger> {
  const store = storeAccess(options);
  const runs = await store.runs();
  let parentRunId = firstParent(runs, options.sweepName);
  // Trials count by the sweep's tag, not by parent: a trial started under a parent that lost a race is still done.
  const attempts = runs.filter((run) => run.tags[TAG_SWEEP] === options.sweepName && run.tags[PARENT_TAG] !== undefined && run.tags[TAG_SWEEP_ROLE] !== 'parent');
  return {
    get parentRunId() {
      return parentRunId;
    },
    runs,
    attemptsOf: (hash) => attempts.filter((run) => run.tags[TAG_TRIAL_HASH] === hash),
    async previousPlan() {
      if (!parentRunId) return undefined;
      const text = await store.readArtifact(parentRunId, 'trials.json');
      return text === undefined ? undefined : (JSON.parse(text) as { hash: string }[]).map((trial) => trial.hash);
    },
    async ensureParent(tags) {
      if (parentRunId) return parentRunId;
      parentRunId = await store.createParent(options.sweepName, { [TAG_SWEEP]: options.sweepName, [TAG_SWEEP_ROLE]: 'parent', ...tags }, async () =>
        firstParent(await store.runs(), options.sweepName),
      );
      return parentRunId;
    },
    end: (runId, status, error, tags) => store.end(runId, status, error, tags),
    discard: (runId) => store.discard(runId),
    writeArtifact: (path, content) => store.writeArtifact(requireParent(parentRunId), path, content),
  };
}

/**
 * The sweep's parent run: the smallest run id among its parents. Not the earliest start: start
 * times come from the tasks' clocks, and every task must pick the same one whatever it saw first.
 */
function firstParent(runs: readonly RunRecord[], sweepName: string): string | undefined {
  return runs
    .filter((run) => run.tags[TAG_SWEEP] === sweepName && run.tags[TAG_SWEEP_ROLE] === 'parent')
    .sort((a, b) => a.runId.localeCompare(b.runId))[0]?.runId;
}

function requireParent(parentRunId: string | undefined): string {
  if (!parentRunId) throw new Error('the sweep has no parent run yet');
  return parentRunId;
}

function storeAccess(options: LedgerOptions): StoreAccess {
  const target = resolveTrackingTarget(options.uri);
  const experimentName = resolveExperimentName(options.experiment);
  return target.kind === 'file'
    ? fileAccess(new FileStore(target.root), experimentName)
    : serverAccess(new MlflowRestClient({ uri: target.uri }), experimentName, options.settleMs ?? 1000);
}

function fileAccess(store: FileStore, experimentName: string): StoreAccess {
  const experiment = () => store.getOrCreateExperiment(experimentName);
  const statusName = (code: number): RunStatus => (Object.entries(RUN_STATUS_CODES).find(([, value]) => value === code)?.[0] ?? 'RUNNING') as RunStatus;
  return {
    async runs() {
      const existing = await store.findExperiment(experimentName);
      if (!existing) return [];
      const id = existing.experiment_id;
      return Promise.all(
        (await store.listRuns(id)).map(async (meta) => ({
          runId: meta.run_id,
          status: statusName(meta.status),
          startTime: meta.start_time,
          tags: await store.readValues(id, meta.run_id, 'tags'),
          params: await store.readValues(id, meta.run_id, 'params'),
          metrics: await store.latestMetrics(id, meta.run_id),
        })),
      );
    },
    async createParent(name, tags, existing) {
      const { experiment_id } = await experiment();
      // Array tasks that start together: the lock makes "look, then create" one step across processes.
      return store.withLock(`sweep ${experimentName} ${name}`, async () => {
        return (await existing()) ?? (await store.createRun({ experimentId: experiment_id, runName: name, userId: currentUser(), startTime: Date.now(), tags })).run_id;
      });
    },
    async end(runId, status, error, tags) {
      const { experiment_id } = await experiment();
      if (tags) await store.setTags(experiment_id, runId, tags);
      if (error) await store.setTags(experiment_id, runId, { 'attnlab.error': error.slice(0, 5000) });
      await store.endRun(experiment_id, runId, status, Date.now());
    },
    async discard(runId) {
      await store.deleteRun((await experiment()).experiment_id, runId);
    },
    async writeArtifact(runId, path, content) {
      const { writeFile, mkdir } = await import('node:fs/promises');
      const file = join(store.runDir((await experiment()).experiment_id, runId), 'artifacts', path);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, content);
    },
    async readArtifact(runId, path) {
      return readFile(join(store.runDir((await experiment()).experiment_id, runId), 'artifacts', path), 'utf8').catch(() => undefined);
    },
  };
}

function serverAccess(client: MlflowRestClient, experimentName: string, settleMs: number): StoreAccess {
  const experimentId = () => client.getOrCreateExperiment(experimentName);
  const record = (run: Awaited<ReturnType<MlflowRestClient['searchRuns']>>['runs'][number]): RunRecord => ({
    runId: run.info.run_id,
    status: run.info.status as RunStatus,
    startTime: Number(run.info.start_time ?? 0),
    tags: Object.fromEntries((run.data?.tags ?? []).map(({ key, value }) => [key, value])),
    params: Object.fromEntries((run.data?.params ?? []).map(({ key, value }) => [key, value])),
    metrics: Object.fromEntries((run.data?.metrics ?? []).map((metric) => [metric.key, decodeMetricValue(metric.value)])),
  });
  return {
    async runs() {
      const found = await client.getExperimentByName(experimentName);
      if (!found) return [];
      const records: RunRecord[] = [];
      let pageToken: string | undefined;
      do {
        const page = await client.searchRuns({ experimentIds: [found.experiment_id], pageToken });
        records.push(...page.runs.map(record));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return records;
    },
    async createParent(name, tags, existing) {
      const found = await existing();
      if (found) return found;
      // A server has no lock: create, look for the sweep's parents by its tag, keep the first; a
      // task whose own run lost deletes it. Looking again after a pause catches a parent created
      // at the same moment that the first look missed.
      const created = (await client.createRun({ experimentId: await experimentId(), runName: name, userId: currentUser(), startTime: Date.now(), tags })).run_id;
      let winner = created;
      for (const pause of [0, settleMs]) {
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        winner = (await existing()) ?? created;
        if (winner !== created) break;
      }
      if (winner !== created) await client.deleteRun(created);
      return winner;
    },
    async end(runId, status, error, tags) {
      for (const [key, value] of Object.entries(tags ?? {})) await client.setTag(runId, key, value);
      if (error) await client.setTag(runId, 'attnlab.error', error.slice(0, 5000));
      await client.updateRun(runId, status, Date.now());
    },
    discard: (runId) => client.deleteRun(runId),
    async writeArtifact(runId, path, content) {
      const found = (await client.searchRuns({ experimentIds: [await experimentId()], filter: `attributes.run_id = '${runId}'` })).runs[0];
      if (found) await writeRunArtifact(client, found.info, path, new TextEncoder().encode(content));
    },
    // Reading artifacts back from a server is not needed to resume: trials not yet run are "pending".
    readArtifact: async () => undefined,
  };
}
