/**
 * Where a run's params, metrics, tags and artifacts go: MLflow's file store (the default, `./runs`,
 * readable by `mlflow ui --backend-store-uri ./runs`) or an MLflow tracking server over REST,
 * through a local journal so that a server that is down or slow never stops the run.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFileTracker } from './file-store.js';
import { DEFAULT_JOURNAL_DIR, openJournalTracker } from './journal.js';
import { currentUser } from './run-record.js';
import type { RetryPolicy } from './journal.js';
import { TrackingError } from './validation.js';
import { notice } from '../terminal.js';

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type EndStatus = 'FINISHED' | 'FAILED' | 'KILLED';

/** One run being recorded. Every method validates its input against MLflow's rules first. */
export interface Tracker {
  /**
   * The run's id in its store (32 hex characters). For a tracking server not reached yet, the
   * local journal key, replaced by the server's id once the run is created there.
   */
  readonly runId: string;
  /** The experiment's id; empty while a tracking server has not been reached. */
  readonly experimentId: string;
  /** The local folder of the run's artifacts (file store only), for writing large files in place. */
  readonly artifactDir?: string;
  /** Params are fixed once logged: logging a different value for a key throws `tracking/param-changed`. */
  logParams(params: Readonly<Record<string, string | number | boolean>>): Promise<void>;
  /** Logs each value at `step`, timestamped now. NaN and ±Infinity are kept. */
  logMetrics(metrics: Readonly<Record<string, number>>, step: number): Promise<void>;
  setTags(tags: Readonly<Record<string, string>>): Promise<void>;
  /** Writes `content` as the artifact `relativePath` (e.g. `config.yaml`). */
  logArtifact(relativePath: string, content: string | Uint8Array): Promise<void>;
  /** Copies `localFile` as the artifact `relativePath` (e.g. `checkpoint/weights.bin`). */
  logArtifactFile(relativePath: string, localFile: string): Promise<void>;
  /**
   * Ends the run with `status`; with `error`, records its message as the tag `attnlab.error`.
   * A second call does nothing. With a tracking server, waits briefly for the upload and leaves
   * the rest in the journal for `syncJournals`.
   */
  end(status: EndStatus, error?: unknown): Promise<void>;
}

interface OpenTrackerOptions {
  /** The config's `tracking.uri`: a folder, a `file:` URI or an `http(s)://` server. */
  readonly uri?: string;
  /** Experiment name; else `MLFLOW_EXPERIMENT_NAME`, else `Default`. */
  readonly experiment?: string;
  readonly runName: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Makes the run a child of this one (tag `mlflow.parentRunId`), e.g. a sweep's trial. */
  readonly parentRunId?: string;
  /** Environment to read `MLFLOW_*` from; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Base for relative paths; `process.cwd()` by default. */
  readonly cwd?: string;
  /** Folder of the journals of runs sent to a server; {@link DEFAULT_JOURNAL_DIR} by default. */
  readonly journalDir?: string;
  /** Longest wait for the server at open and at `end()`, in ms (default 3000). */
  readonly flushTimeoutMs?: number;
  /** Where notices go (e.g. "3 events left in the journal"); the CLI's stderr by default. */
  readonly onNotice?: (message: string) => void;
  /** Backoff of the sends to a tracking server; `DEFAULT_RETRY` by default. */
  readonly retry?: RetryPolicy;
}

export { DEFAULT_JOURNAL_DIR };
const DEFAULT_FILE_STORE = './runs';
export const DEFAULT_EXPERIMENT = 'Default';

export type TrackingTarget =
  | { readonly kind: 'file'; readonly root: string }
  | { readonly kind: 'rest'; readonly uri: string };

/** options.uri, else `MLFLOW_TRACKING_URI`, else `./runs`; resolved to a store. */
export function resolveTrackingTarget(
  uri: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): TrackingTarget {
  const chosen = uri ?? (env.MLFLOW_TRACKING_URI || undefined) ?? DEFAULT_FILE_STORE;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(chosen)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', root: resolve(cwd, chosen) };
  if (scheme === 'http' || scheme === 'https') return { kind: 'rest', uri: chosen.replace(/\/+$/, '') };
  if (scheme === 'file') {
    const root = chosen.startsWith('file://') ? fileURLToPath(chosen) : chosen.slice('file:'.length);
    return { kind: 'file', root: resolve(cwd, root) };
  }
  const source = uri === undefined ? 'MLFLOW_TRACKING_URI' : 'tracking.uri';
  if (DATABASE_SCHEMES.has(scheme.split('+')[0])) {
    throw new TrackingError(
      'tracking/database-uri',
      `tracking URI "${chosen}" (from ${source}) is a database; attnlab does not write MLflow's SQL tables itself. ` +
        `Serve the database with \`mlflow server --backend-store-uri ${chosen}\` and set ${source} to the server's URL ` +
        `(e.g. http://127.0.0.1:5000); runs then go through its REST API.`,
    );
  }
  throw new TrackingError(
    'tracking/unsupported-uri',
    `tracking URI "${chosen}" (from ${source}) has scheme "${scheme}:", ` +
      `which attnlab cannot write to; use a folder path, a file: URI or the http(s):// URL of an MLflow server.`,
  );
}

/** The SQLAlchemy dialects MLflow's SQL store accepts (`mlflow/store/db/db_types.py`). */
const DATABASE_SCHEMES = new Set(['sqlite', 'postgresql', 'postgres', 'mysql', 'mssql']);

export function resolveExperimentName(experiment: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return experiment ?? (env.MLFLOW_EXPERIMENT_NAME || undefined) ?? DEFAULT_EXPERIMENT;
}

/** Starts a run in the store that `options.uri` / `MLFLOW_TRACKING_URI` selects. */
export async function openTracker(options: OpenTrackerOptions): Promise<Tracker> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const target = resolveTrackingTarget(options.uri, env, cwd);
  const experiment = resolveExperimentName(options.experiment, env);
  const tags = { ...options.tags, ...parentTag(options.parentRunId) };
  const onNotice = options.onNotice ?? notice;
  if (target.kind === 'file') {
    return openFileTracker({ root: target.root, experiment, runName: options.runName, userId: currentUser(env), tags, onNotice });
  }
  return openJournalTracker({
    uri: target.uri,
    experiment,
    runName: options.runName,
    tags,
    env,
    journalDir: resolve(cwd, options.journalDir ?? DEFAULT_JOURNAL_DIR),
    flushTimeoutMs: options.flushTimeoutMs ?? 3000,
    onNotice,
    retry: options.retry,
    cwd,
  });
}

function parentTag(parentRunId: string | undefined): Record<string, string> {
  return parentRunId === undefined ? {} : { 'mlflow.parentRunId': parentRunId };
}
