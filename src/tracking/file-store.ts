/**
 * MLflow 2.x's file store, written the way MLflow's own `FileStore` writes it, so that
 * `mlflow ui --backend-store-uri ./runs` shows attnlab's runs as its own:
 *
 * ```
 * <root>/.trash/
 * <root>/<exp_id>/meta.yaml                  experiment (keys sorted, as PyYAML dumps them)
 * <root>/<exp_id>/<run_id>/meta.yaml         run info; status 1 RUNNING … 5 KILLED
 * <root>/<exp_id>/<run_id>/metrics/<key>     "<timestamp_ms> <value> <step>\n" per point
 * <root>/<exp_id>/<run_id>/params/<key>      raw value, no trailing newline
 * <root>/<exp_id>/<run_id>/tags/<key>        raw value, no trailing newline
 * <root>/<exp_id>/<run_id>/artifacts/…
 * ```
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile, appendFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { withFileLock, type LockOptions } from '../fs-lock.js';
import type { EndStatus, RunStatus, Tracker } from './tracker.js';
import {
  MLFLOW_LIMITS,
  TrackingError,
  checkParamsUnchanged,
  errorTagValue,
  normaliseParams,
  validateArtifactPath,
  validateMetrics,
  validateTags,
} from './validation.js';

/** MLflow's `RunStatus` enum as stored in meta.yaml. */
export const RUN_STATUS_CODES: Readonly<Record<RunStatus, number>> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};
/** MLflow's `SourceType.LOCAL`. */
const SOURCE_TYPE_LOCAL = 4;
const DEFAULT_EXPERIMENT_ID = '0';
const TRASH_FOLDER = '.trash';
/** Folders of an experiment that are not runs. */
const EXPERIMENT_FOLDERS = new Set(['tags', 'datasets', 'traces']);

interface ExperimentMeta {
  readonly artifact_location: string;
  readonly creation_time: number;
  readonly experiment_id: string;
  readonly last_update_time: number;
  readonly lifecycle_stage: 'active' | 'deleted';
  readonly name: string;
}

/** A run's meta.yaml, keys in the sorted order MLflow writes them. */
export interface RunMeta {
  readonly artifact_uri: string;
  /** Only on a deleted run: when it was deleted, in ms since the epoch. */
  readonly deleted_time?: number;
  readonly end_time: number | null;
  readonly entry_point_name: '';
  readonly experiment_id: string;
  readonly lifecycle_stage: 'active' | 'deleted';
  readonly run_id: string;
  readonly run_name: string;
  readonly run_uuid: string;
  readonly source_name: '';
  readonly source_type: number;
  readonly source_version: '';
  readonly start_time: number;
  readonly status: number;
  readonly tags: readonly [];
  readonly user_id: string;
}

interface CreateRunInput {
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly startTime: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** Python's `repr(float)`: shortest round-trip digits, exponent outside [1e-4, 1e16). */
export function formatPythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(value.toExponential());
  if (!match) throw new Error(`unexpected exponential form of ${value}`);
  const [, sign, lead, fraction = '', exponentText] = match;
  const exponent = Number(exponentText);
  const digits = lead + fraction;
  if (exponent < -4 || exponent >= 16) {
    const mantissa = fraction ? `${lead}.${fraction}` : lead;
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  return `${sign}${whole}.${digits.slice(exponent + 1) || '0'}`;
}

/**
 * PyYAML's `safe_dump` of a flat mapping as MLflow's `write_yaml` calls it: keys sorted, block
 * style, single quotes where YAML 1.1 needs them.
 */
function dumpYaml(data: object): string {
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return stringify(sorted, { version: '1.1', singleQuote: true, lineWidth: 0 });
}

/** Readers never see a half-written meta.yaml: write aside, then rename over. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** MLflow's `_generate_unique_integer_id`: 18 decimal digits, no leading zero. */
function newExperimentId(): string {
  let id = String(randomInt(1, 10));
  while (id.length < 18) id += String(randomInt(0, 10));
  return id;
}

export class FileStore {
  /** `root` is an absolute folder; it is created, with MLflow's `Default` experiment, if missing. */
  constructor(readonly root: string) {}

  async ensureRoot(): Promise<void> {
    if (!(await exists(join(this.root, DEFAULT_EXPERIMENT_ID, 'meta.yaml')))) {
      await mkdir(this.root, { recursive: true });
      await this.writeExperiment(DEFAULT_EXPERIMENT_ID, 'Default');
    }
    await mkdir(join(this.root, TRASH_FOLDER), { recursive: true });
  }

  async listExperiments(): Promise<ExperimentMeta[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const experiments: ExperimentMeta[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name === TRASH_FOLDER) continue;
      const meta = await this.readYaml<ExperimentMeta>(join(this.root, entry.name, 'meta.yaml'));
      if (meta?.lifecycle_stage === 'active') experiments.push(meta);
    }
    return experiments;
  }

  async findExperiment(name: string): Promise<ExperimentMeta | undefined> {
    return (await this.listExperiments()).find((experiment) => experiment.name === name);
  }

  /** Processes that ask at once for a missing experiment get one experiment: it is created under a lock. */
  async getOrCreateExperiment(name: string): Promise<ExperimentMeta> {
    await this.ensureRoot();
    const found = await this.findExperiment(name);
    if (found) return found;
    return this.withLock(`experiment ${name}`, async () => (await this.findExperiment(name)) ?? this.writeExperiment(newExperimentId(), name));
  }

  /**
   * Runs `work` holding the store-wide lock named `key` (a file `.<hash>.lock` in the root, which
   * MLflow ignores: it lists folders only).
   */
  async withLock<T>(key: string, work: () => Promise<T>, options?: LockOptions): Promise<T> {
    const file = join(this.root, `.lock-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
    return withFileLock(file, work, options);
  }

  private async writeExperiment(id: string, name: string): Promise<ExperimentMeta> {
    const now = Date.now();
    const meta: ExperimentMeta = {
      artifact_location: pathToFileURL(join(this.root, id)).href,
      creation_time: now,
      experiment_id: id,
      last_update_time: now,
      lifecycle_stage: 'active',
      name,
    };
    await mkdir(join(this.root, id), { recursive: true });
    await writeAtomically(join(this.root, id, 'meta.yaml'), dumpYaml(meta));
    return meta;
  }

  runDir(experimentId: string, runId: string): string {
    return join(this.root, experimentId, runId);
  }

  /** Creates the run's folders and meta.yaml and records `mlflow.runName` like MLflow does. */
  async createRun(input: CreateRunInput): Promise<RunMeta> {
    const experiment = await this.readYaml<ExperimentMeta>(join(this.root, input.experimentId, 'meta.yaml'));
    if (!experiment) {
      throw new TrackingError('tracking/no-experiment', `experiment ${input.experimentId} does not exist in ${this.root}.`);
    }
    const runId = randomBytes(16).toString('hex');
    const meta: RunMeta = {
      artifact_uri: `${experiment.artifact_location}/${runId}/artifacts`,
      end_time: null,
      entry_point_name: '',
      experiment_id: input.experimentId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_name: input.runName,
      run_uuid: runId,
      source_name: '',
      source_type: SOURCE_TYPE_LOCAL,
      source_version: '',
      start_time: input.startTime,
      status: RUN_STATUS_CODES.RUNNING,
      tags: [],
      user_id: input.userId,
    };
    // Built aside and renamed into place, so that no reader ever sees a run folder without its meta.yaml.
    const dir = this.runDir(input.experimentId, runId);
    const building = join(this.root, input.experimentId, `.${runId}.tmp`);
    for (const folder of ['metrics', 'params', 'artifacts', 'tags']) await mkdir(join(building, folder), { recursive: true });
    await writeFile(join(building, 'meta.yaml'), dumpYaml(meta));
    for (const [key, value] of Object.entries({ 'mlflow.runName': input.runName, ...input.tags })) {
      await mkdir(dirname(join(building, 'tags', key)), { recursive: true });
      await writeFile(join(building, 'tags', key), value);
    }
    await rename(building, dir);
    return meta;
  }

  async readRun(experimentId: string, runId: string): Promise<RunMeta | undefined> {
    return this.readYaml<RunMeta>(join(this.runDir(experimentId, runId), 'meta.yaml'));
  }

  async listRuns(experimentId: string): Promise<RunMeta[]> {
    const entries = await readdir(join(this.root, experimentId), { withFileTypes: true }).catch(() => []);
    const runs: RunMeta[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || EXPERIMENT_FOLDERS.has(entry.name) || entry.name.startsWith('.')) continue;
      const meta = await this.readRun(experimentId, entry.name);
      if (meta?.lifecycle_stage === 'active') runs.push(meta);
    }
    return runs;
  }

  async endRun(experimentId: string, runId: string, status: EndStatus, endTime: number): Promise<void> {
    const meta = await this.readRun(experimentId, runId);
    if (!meta) throw new TrackingError('tracking/no-run', `run ${runId} does not exist in ${this.root}/${experimentId}.`);
    const ended: RunMeta = { ...meta, end_time: endTime, status: RUN_STATUS_CODES[status] };
    await writeAtomically(join(this.runDir(experimentId, runId), 'meta.yaml'), dumpYaml(ended));
  }

  /**
   * Marks the run deleted, as MLflow's `delete_run` does: it stays on disk, hidden from listings,
   * with `deleted_time` (ms) from which `mlflow gc --older-than` counts.
   */
  async deleteRun(experimentId: string, runId: string, deletedTime: number = Date.now()): Promise<void> {
    const meta = await this.readRun(experimentId, runId);
    if (!meta) throw new TrackingError('tracking/no-run', `run ${runId} does not exist in ${this.root}/${experimentId}.`);
    const deleted: RunMeta = { ...meta, lifecycle_stage: 'deleted', deleted_time: deletedTime };
    await writeAtomically(join(this.runDir(experimentId, runId), 'meta.yaml'), dumpYaml(deleted));
  }

  async logMetric(experimentId: string, runId: string, point: MetricPoint): Promise<void> {
    const path = join(this.runDir(experimentId, runId), 'metrics', point.key);
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, `${point.timestamp} ${formatPythonFloat(point.value)} ${point.step}\n`);
  }

  /** Writes params; one already on disk with another value is refused, as MLflow does. */
  async logParams(experimentId: string, runId: string, params: Readonly<Record<string, string>>): Promise<void> {
    const onDisk = new Map<string, string>();
    for (const key of Object.keys(params)) {
      const previous = await readFile(join(this.runDir(experimentId, runId), 'params', key), 'utf8').catch(() => undefined);
      if (previous !== undefined) onDisk.set(key, previous);
    }
    checkParamsUnchanged(runId, params, onDisk);
    await this.writeValues(experimentId, runId, 'params', params);
  }

  async setTags(experimentId: string, runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.writeValues(experimentId, runId, 'tags', tags);
  }

  /** A run's params or tags, key → raw value. */
  async readValues(experimentId: string, runId: string, folder: 'params' | 'tags'): Promise<Record<string, string>> {
    const base = join(this.runDir(experimentId, runId), folder);
    const values: Record<string, string> = {};
    for (const key of await listFilesRecursively(base)) values[key] = await readFile(join(base, key), 'utf8');
    return values;
  }

  /** The last point of each metric, as MLflow's run view shows it. */
  async latestMetrics(experimentId: string, runId: string): Promise<Record<string, number>> {
    const base = join(this.runDir(experimentId, runId), 'metrics');
    const latest: Record<string, number> = {};
    for (const key of await listFilesRecursively(base)) {
      const lines = (await readFile(join(base, key), 'utf8')).trimEnd().split('\n');
      const value = lines.at(-1)?.split(' ')[1];
      if (value !== undefined) latest[key] = parsePythonFloat(value);
    }
    return latest;
  }

  private async writeValues(
    experimentId: string,
    runId: string,
    folder: 'params' | 'tags',
    values: Readonly<Record<string, string>>,
  ): Promise<void> {
    for (const [key, value] of Object.entries(values)) {
      const path = join(this.runDir(experimentId, runId), folder, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, value);
    }
  }

  private async readYaml<T>(path: string): Promise<T | undefined> {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    let data: unknown;
    try {
      data = parse(text, { version: '1.1' });
    } catch (error) {
      throw new TrackingError('tracking/damaged-meta', `${path} is damaged: not YAML (${(error as Error).message.split('\n')[0]}); repair or remove that run's folder`, error);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new TrackingError('tracking/damaged-meta', `${path} is damaged: expected a mapping of run or experiment fields, found ${Array.isArray(data) ? 'a list' : JSON.stringify(data)}; repair or remove that run's folder`);
    }
    return data as T;
  }
}

interface MetricPoint {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

function parsePythonFloat(text: string): number {
  if (text === 'nan') return Number.NaN;
  if (text === 'inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Keys with `/` are sub-folders; returned as `/`-joined relative paths. */
async function listFilesRecursively(base: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(base, prefix), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFilesRecursively(base, relative)));
    else files.push(relative);
  }
  return files;
}

/** Local folder of a `file://` artifact URI. */
function artifactFolder(artifactUri: string): string {
  return fileURLToPath(artifactUri);
}

interface OpenFileTrackerOptions {
  readonly root: string;
  readonly experiment: string;
  readonly runName: string;
  readonly userId: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Where warnings go, e.g. a param value cut to MLflow's limit. */
  readonly onNotice: (message: string) => void;
}

export async function openFileTracker(options: OpenFileTrackerOptions): Promise<Tracker> {
  const store = new FileStore(options.root);
  validateTags(options.tags);
  const experiment = await store.getOrCreateExperiment(options.experiment);
  const run = await store.createRun({
    experimentId: experiment.experiment_id,
    runName: options.runName,
    userId: options.userId,
    startTime: Date.now(),
    tags: options.tags,
  });
  return new FileTracker(store, run, options.onNotice);
}

/** A run written straight into the file store; every call has reached the disk when it resolves. */
class FileTracker implements Tracker {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactDir: string;
  private ended = false;

  constructor(
    private readonly store: FileStore,
    run: RunMeta,
    private readonly onNotice: (message: string) => void,
  ) {
    this.runId = run.run_id;
    this.experimentId = run.experiment_id;
    this.artifactDir = artifactFolder(run.artifact_uri);
  }

  async logParams(params: Readonly<Record<string, string | number | boolean>>): Promise<void> {
    await this.store.logParams(this.experimentId, this.runId, normaliseParams(params, this.onNotice));
  }

  async logMetrics(metrics: Readonly<Record<string, number>>, step: number): Promise<void> {
    validateMetrics(metrics, step);
    const timestamp = Date.now();
    for (const [key, value] of Object.entries(metrics)) {
      await this.store.logMetric(this.experimentId, this.runId, { key, value, timestamp, step });
    }
  }

  async setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    validateTags(tags);
    await this.store.setTags(this.experimentId, this.runId, tags);
  }

  async logArtifact(relativePath: string, content: string | Uint8Array): Promise<void> {
    const target = await this.artifactTarget(relativePath);
    await writeFile(target, content);
  }

  async logArtifactFile(relativePath: string, localFile: string): Promise<void> {
    const target = await this.artifactTarget(relativePath);
    await copyFile(localFile, target);
  }

  async end(status: EndStatus, error?: unknown): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) {
      await this.store.setTags(this.experimentId, this.runId, {
        'attnlab.error': errorTagValue(error, MLFLOW_LIMITS.tagValueLength),
      });
    }
    await this.store.endRun(this.experimentId, this.runId, status, Date.now());
  }

  private async artifactTarget(relativePath: string): Promise<string> {
    validateArtifactPath(relativePath);
    const target = join(this.artifactDir, relativePath);
    await mkdir(dirname(target), { recursive: true });
    return target;
  }
}
