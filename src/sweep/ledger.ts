/**
 * What the tracking store knows about a sweep: its parent run and every trial attempt (child
 * runs tagged with their trial's hash), read back so that a rerun resumes where it stopped.
 */
import { openTrackingStore, type StoredRun } from '../tracking/store.js';
import { resolveExperimentName, type EndStatus } from '../tracking/tracker.js';
import { TAG_SWEEP, TAG_TRIAL_HASH } from './runner.js';

export const TAG_SWEEP_ROLE = 'attnlab.sweep.role';
const PARENT_TAG = 'mlflow.parentRunId';

/** A run as the sweep sees it. */
export type RunRecord = StoredRun;

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

interface LedgerOptions {
  readonly uri?: string;
  readonly experiment?: string;
  readonly sweepName: string;
  /** On a server: how long a task that created a parent waits before looking again for one created at the same moment (ms, default 1000). */
  readonly settleMs?: number;
}

export async function openSweepLedger(options: LedgerOptions): Promise<SweepLedger> {
  const store = openTrackingStore({ uri: options.uri, settleMs: options.settleMs });
  const experiment = resolveExperimentName(options.experiment);
  const runs = await store.runs(experiment);
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
      const text = await store.readArtifact(experiment, parentRunId, 'trials.json');
      return text === undefined ? undefined : (JSON.parse(text) as { hash: string }[]).map((trial) => trial.hash);
    },
    async ensureParent(tags) {
      if (parentRunId) return parentRunId;
      const parentTags = { [TAG_SWEEP]: options.sweepName, [TAG_SWEEP_ROLE]: 'parent', ...tags };
      parentRunId = await store.createRunOnce(experiment, options.sweepName, parentTags, async () => firstParent(await store.runs(experiment), options.sweepName));
      return parentRunId;
    },
    end: (runId, status, error, tags) => store.endRun(experiment, runId, status, { error, tags }),
    discard: (runId) => store.deleteRun(experiment, runId),
    writeArtifact: (path, content) => store.writeArtifact(experiment, requireParent(parentRunId), path, content),
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
