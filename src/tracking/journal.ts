/**
 * Runs sent to a tracking server go through a local journal, so that a server that is down, slow
 * or failing never stops or slows a run and loses nothing:
 *
 * - every event is appended to `<dir>/<key>.jsonl` and fsync'd before the logging call returns
 *   (one JSON line, with the id `<key>:<seq>`), artifacts are copied to `<dir>/<key>.artifacts/`;
 * - a background sender replays the journal in order, in batches within MLflow's limits, with
 *   exponential backoff; after each answer it records the acknowledged byte offset in
 *   `<dir>/<key>.state.json` (written aside, fsync'd, renamed over);
 * - `syncJournals` replays what is left, from that offset, later.
 *
 * A crash between the server's answer and the offset's write resends one batch. Each resend is
 * harmless: the run is found again by its `attnlab.journal` tag instead of created twice, params
 * carry the same value, tags overwrite, and metrics carry the timestamp recorded when they were
 * logged, so that a resent point is identical to the stored one and MLflow's SQL stores (whose
 * metric key is key, timestamp, step and value) keep it once.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { writeRunArtifact } from './artifact-uri.js';
import { currentUser } from './run-record.js';
import { MlflowApiError, MlflowRestClient, encodeMetricValue, planLogBatches, toKeyValues } from './rest.js';
import type { KeyValue, LogBatch, WireMetric } from './rest.js';
import type { EndStatus, Tracker } from './tracker.js';
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

/** How long a run ended KILLED waits for the server before it leaves the rest to `attnlab sync`. */
export const KILLED_FLUSH_MS = 1000;

/**
 * Journals live outside the file store: MLflow treats every folder of its root as an experiment
 * and refuses one whose name is not a valid experiment id, which would break `mlflow ui`.
 */
export const DEFAULT_JOURNAL_DIR = '.attnlab/journal';

/** Tag that lets a resent `runs/create` find the run it created before. */
const TAG_JOURNAL_KEY = 'attnlab.journal';

interface EventBase {
  /** `<journal key>:<sequence number>`, unique across journals. */
  readonly id: string;
}
interface OpenEvent extends EventBase {
  readonly type: 'open';
  readonly uri: string;
  readonly experiment: string;
  readonly runName: string;
  readonly userId: string;
  readonly startTime: number;
  readonly tags: Readonly<Record<string, string>>;
}
interface ParamsEvent extends EventBase {
  readonly type: 'params';
  readonly params: Readonly<Record<string, string>>;
}
interface MetricsEvent extends EventBase {
  readonly type: 'metrics';
  readonly metrics: readonly WireMetric[];
}
interface TagsEvent extends EventBase {
  readonly type: 'tags';
  readonly tags: Readonly<Record<string, string>>;
}
interface ArtifactEvent extends EventBase {
  readonly type: 'artifact';
  readonly path: string;
  /** The journal's own copy, relative to the journal folder. */
  readonly copy: string;
}
interface EndEvent extends EventBase {
  readonly type: 'end';
  readonly status: EndStatus;
  readonly endTime: number;
}
type JournalEvent = OpenEvent | ParamsEvent | MetricsEvent | TagsEvent | ArtifactEvent | EndEvent;
type DataEvent = ParamsEvent | MetricsEvent | TagsEvent;
/** An event before the writer gives it its id. */
type NewEvent = WithoutId<JournalEvent>;
type WithoutId<E> = E extends JournalEvent ? Omit<E, 'id'> : never;

/** What the server has acknowledged, and the ids it gave. */
interface JournalState {
  /** Bytes of the journal up to which every event but the artifacts is acknowledged. */
  readonly offset: number;
  /** Bytes of the journal up to which every artifact is stored; `offset` in journals older than the two lanes. */
  readonly artifactOffset?: number;
  readonly experimentId?: string;
  readonly runId?: string;
  readonly artifactUri?: string;
}

export interface RetryPolicy {
  /** First wait after a failure, doubled after each further one (default 250 ms). */
  readonly baseMs: number;
  /** Longest wait (default 30 s). */
  readonly maxMs: number;
  /** Attempts per event before giving up; unlimited while a run is live. */
  readonly maxAttempts?: number;
}
const DEFAULT_RETRY: RetryPolicy = { baseMs: 250, maxMs: 30_000 };

const paths = (dir: string, key: string) => ({
  journal: join(dir, `${key}.jsonl`),
  state: join(dir, `${key}.state.json`),
  lock: join(dir, `${key}.lock`),
  artifacts: join(dir, `${key}.artifacts`),
});

/** Appends events durably: each is on disk when `append` resolves. */
class JournalWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private sequence: number;

  private constructor(
    private readonly handle: FileHandle,
    private readonly key: string,
    private size: number,
    sequence: number,
  ) {
    this.sequence = sequence;
  }

  static async open(path: string, key: string, sequence = 0): Promise<JournalWriter> {
    const handle = await open(path, 'a');
    return new JournalWriter(handle, key, (await handle.stat()).size, sequence);
  }

  nextId(): string {
    return `${this.key}:${this.sequence++}`;
  }

  /** Resolves with the event and the journal's size after it, once fsync'd. */
  append(event: NewEvent, id = this.nextId()): Promise<{ event: JournalEvent; end: number }> {
    const full = { id, ...event } as JournalEvent;
    const written = this.tail.then(async () => {
      const line = Buffer.from(`${JSON.stringify(full)}\n`);
      await this.handle.write(line);
      await this.handle.datasync();
      this.size += line.length;
      return { event: full, end: this.size };
    });
    this.tail = written.catch(() => undefined);
    return written;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle.close();
  }
}

interface Pending {
  readonly event: JournalEvent;
  readonly end: number;
}

/** Everything but artifacts goes in the data lane, in order; artifacts go in their own. */
type LaneName = 'data' | 'artifacts';

const laneOf = (event: JournalEvent): LaneName => (event.type === 'artifact' ? 'artifacts' : 'data');

/** One ordered queue of events, sent by one loop with its own backoff. */
class Lane {
  readonly queue: Pending[] = [];
  running = false;
  /** The error that made the lane give up; it sends nothing more after it. */
  failure?: unknown;
  private wakeUp?: () => void;

  constructor(
    private readonly sendNext: (lane: Lane) => Promise<void>,
    private readonly options: {
      readonly retry: RetryPolicy;
      readonly keepAlive: boolean;
      readonly ready: () => boolean;
      readonly stopped: () => boolean;
      readonly onIdle: () => void;
      readonly onFailure: (error: unknown) => void;
    },
  ) {}

  push(item: Pending): void {
    this.queue.push(item);
    this.start();
  }

  start(): void {
    if (this.running || this.failure !== undefined || this.queue.length === 0) return;
    if (this.options.stopped() || !this.options.ready()) return;
    void this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    let failures = 0;
    while (this.queue.length > 0 && !this.options.stopped()) {
      try {
        await this.sendNext(this);
        failures = 0;
      } catch (error) {
        failures += 1;
        const exhausted = this.options.retry.maxAttempts !== undefined && failures >= this.options.retry.maxAttempts;
        if (!isRetryable(error) || exhausted || this.options.stopped()) {
          this.failure = error;
          if (!this.options.stopped()) this.options.onFailure(error);
          break;
        }
        await this.sleep(backoffMs(this.options.retry, failures));
      }
    }
    this.running = false;
    this.options.onIdle();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      // During a run the retry must not keep a finished program alive; `sync` is there to wait it out.
      if (!this.options.keepAlive) timer.unref();
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

interface JournalSenderOptions {
  readonly retry: RetryPolicy;
  /** Hold the process open while a retry waits (`sync`), instead of letting it exit (a live run). */
  readonly keepAlive: boolean;
  /** Base for a relative artifact path in the run's `artifact_uri`. */
  readonly cwd: string;
  /** Called once when a lane gives up on an error no retry can cure. */
  readonly onFailure?: (lane: LaneName, error: unknown) => void;
}

/**
 * Sends a journal's events and records each acknowledgement. Metrics, params, tags and the run's
 * status go in one ordered lane; artifacts go in a second, so that a slow or unwritable artifact
 * store never holds back the run's record. Each lane has its own acknowledged offset.
 */
class JournalSender {
  private readonly abort = new AbortController();
  private readonly client: MlflowRestClient;
  private readonly lanes: Record<LaneName, Lane>;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private persisting: Promise<void> = Promise.resolve();
  sentEvents = 0;

  constructor(
    private readonly dir: string,
    private readonly key: string,
    uri: string,
    env: NodeJS.ProcessEnv,
    public state: JournalState,
    private readonly options: JournalSenderOptions,
  ) {
    this.client = new MlflowRestClient({ uri, env, signal: this.abort.signal });
    const common = {
      retry: options.retry,
      keepAlive: options.keepAlive,
      stopped: () => this.stopped,
      onIdle: () => this.notifyIdle(),
    };
    this.lanes = {
      data: new Lane((lane) => this.sendData(lane), {
        ...common,
        ready: () => true,
        onFailure: (error) => options.onFailure?.('data', error),
      }),
      // Artifacts need the run's id and artifact_uri: they wait for the run to exist.
      artifacts: new Lane((lane) => this.sendArtifact(lane), {
        ...common,
        ready: () => this.state.runId !== undefined,
        onFailure: (error) => options.onFailure?.('artifacts', error),
      }),
    };
  }

  get pendingEvents(): number {
    return this.lanes.data.queue.length + this.lanes.artifacts.queue.length;
  }

  /** What is still to send, by event type, e.g. `{ metrics: 2, end: 1 }`. */
  get pendingByType(): Partial<Record<JournalEvent['type'], number>> {
    const counts: Partial<Record<JournalEvent['type'], number>> = {};
    for (const { event } of [...this.lanes.data.queue, ...this.lanes.artifacts.queue]) counts[event.type] = (counts[event.type] ?? 0) + 1;
    return counts;
  }

  /** The error that made a lane give up, the data lane's first. */
  get failure(): unknown {
    return this.lanes.data.failure ?? this.lanes.artifacts.failure;
  }

  laneFailure(lane: LaneName): unknown {
    return this.lanes[lane].failure;
  }

  lanePending(lane: LaneName): number {
    return this.lanes[lane].queue.length;
  }

  enqueue(item: Pending): void {
    this.lanes[laneOf(item.event)].push(item);
  }

  /**
   * Waits until the lanes named have nothing left they can send, or `timeoutMs` passes; true when
   * all their events are acknowledged.
   */
  async drain(timeoutMs: number, lanes: readonly LaneName[] = ['data', 'artifacts']): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (lanes.some((name) => this.lanes[name].running) && !this.stopped) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(left) ? setTimeout(resolve, left) : undefined;
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return lanes.every((name) => this.lanes[name].queue.length === 0);
  }

  /** Gives up: aborts the requests in flight; what is left stays in the journal. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.lanes.data.wake();
    this.lanes.artifacts.wake();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private async sendData(lane: Lane): Promise<void> {
    const first = lane.queue[0].event;
    switch (first.type) {
      case 'open':
        await this.createRun(first);
        await this.acknowledge('data', 1);
        this.lanes.artifacts.start();
        return;
      case 'end':
        await this.client.updateRun(this.runInfo().run_id, first.status, first.endTime);
        return this.acknowledge('data', 1);
      case 'artifact':
        throw new TrackingError('tracking/journal-corrupt', `journal ${this.key}: an artifact event in the data lane.`);
      default: {
        const group = takeDataGroup(lane.queue);
        for (const batch of planLogBatches(mergeDataEvents(group))) await this.client.logBatch(this.runInfo().run_id, batch);
        return this.acknowledge('data', group.length);
      }
    }
  }

  private async sendArtifact(lane: Lane): Promise<void> {
    const first = lane.queue[0].event;
    if (first.type !== 'artifact') throw new TrackingError('tracking/journal-corrupt', `journal ${this.key}: a ${first.type} event in the artifact lane.`);
    const content = await readFile(join(this.dir, first.copy));
    await writeRunArtifact(this.client, { ...this.runInfo(), artifact_uri: this.state.artifactUri }, first.path, content, this.options.cwd);
    return this.acknowledge('artifacts', 1);
  }

  private async createRun(event: OpenEvent): Promise<void> {
    const experimentId = await this.client.getOrCreateExperiment(event.experiment);
    const existing = await this.client.searchRuns({
      experimentIds: [experimentId],
      filter: `tags.\`${TAG_JOURNAL_KEY}\` = '${this.key}'`,
      maxResults: 1,
    });
    const run =
      existing.runs[0]?.info ??
      (await this.client.createRun({
        experimentId,
        runName: event.runName,
        userId: event.userId,
        startTime: event.startTime,
        tags: { 'mlflow.runName': event.runName, ...event.tags, [TAG_JOURNAL_KEY]: this.key },
      }));
    this.state = { ...this.state, experimentId, runId: run.run_id, artifactUri: run.artifact_uri };
  }

  private runInfo(): { run_id: string; experiment_id: string } {
    const { runId, experimentId } = this.state;
    if (runId === undefined || experimentId === undefined) {
      throw new TrackingError('tracking/journal-corrupt', `journal ${this.key} has events before its run was opened.`);
    }
    return { run_id: runId, experiment_id: experimentId };
  }

  private async acknowledge(lane: LaneName, count: number): Promise<void> {
    const queue = this.lanes[lane].queue;
    const acknowledged = queue.splice(0, count);
    const end = acknowledged[acknowledged.length - 1].end;
    this.state = lane === 'data' ? { ...this.state, offset: end } : { ...this.state, artifactOffset: end };
    this.sentEvents += count;
    await this.persist();
  }

  /** The two lanes acknowledge concurrently: their writes of the state file go one after the other. */
  private persist(): Promise<void> {
    const written = this.persisting.then(() => writeDurably(paths(this.dir, this.key).state, JSON.stringify(this.state)));
    this.persisting = written.catch(() => undefined);
    return written;
  }
}


function backoffMs(retry: RetryPolicy, failures: number): number {
  const exponential = Math.min(retry.maxMs, retry.baseMs * 2 ** (failures - 1));
  // Jitter spreads the retries of many runs that lost the same server at the same moment.
  return exponential * (0.75 + Math.random() * 0.5);
}

function isDataEvent(event: JournalEvent): event is DataEvent {
  return event.type === 'params' || event.type === 'metrics' || event.type === 'tags';
}

function countItems(event: DataEvent): { metrics: number; params: number; tags: number } {
  return {
    metrics: event.type === 'metrics' ? event.metrics.length : 0,
    params: event.type === 'params' ? Object.keys(event.params).length : 0,
    tags: event.type === 'tags' ? Object.keys(event.tags).length : 0,
  };
}

/**
 * The leading data events that fit one log-batch together, so that each request acknowledges
 * whole events. An event too large for one batch goes alone and is split by `planLogBatches`.
 */
function takeDataGroup(pending: readonly Pending[]): DataEvent[] {
  const group: DataEvent[] = [];
  const total = { metrics: 0, params: 0, tags: 0 };
  for (const { event } of pending) {
    if (!isDataEvent(event)) break;
    const count = countItems(event);
    const next = { metrics: total.metrics + count.metrics, params: total.params + count.params, tags: total.tags + count.tags };
    const fits =
      next.metrics <= MLFLOW_LIMITS.metricsPerBatch &&
      next.params <= MLFLOW_LIMITS.paramsPerBatch &&
      next.tags <= MLFLOW_LIMITS.tagsPerBatch &&
      next.metrics + next.params + next.tags <= MLFLOW_LIMITS.entitiesPerBatch;
    if (!fits && group.length > 0) break;
    group.push(event);
    Object.assign(total, next);
  }
  return group;
}

/** MLflow refuses a batch naming a param twice; a later tag value wins, as it would have on its own. */
function mergeDataEvents(events: readonly DataEvent[]): Required<LogBatch> {
  const params = new Map<string, string>();
  const tags = new Map<string, string>();
  const metrics: WireMetric[] = [];
  for (const event of events) {
    if (event.type === 'metrics') metrics.push(...event.metrics);
    if (event.type === 'params') for (const [key, value] of Object.entries(event.params)) params.set(key, value);
    if (event.type === 'tags') for (const [key, value] of Object.entries(event.tags)) tags.set(key, value);
  }
  const asList = (values: Map<string, string>): KeyValue[] => toKeyValues(Object.fromEntries(values));
  return { metrics, params: asList(params), tags: asList(tags) };
}

async function writeDurably(path: string, content: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(content);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

async function readState(dir: string, key: string): Promise<JournalState> {
  const text = await readFile(paths(dir, key).state, 'utf8').catch(() => undefined);
  if (text === undefined) return { offset: 0, artifactOffset: 0 };
  const state = JSON.parse(text) as JournalState;
  return { ...state, artifactOffset: state.artifactOffset ?? state.offset };
}

async function removeJournal(dir: string, key: string): Promise<void> {
  const files = paths(dir, key);
  await rm(files.artifacts, { recursive: true, force: true });
  await rm(files.state, { force: true });
  await rm(files.journal, { force: true });
  await rm(files.lock, { force: true });
}

interface OpenJournalTrackerOptions {
  readonly uri: string;
  readonly experiment: string;
  readonly runName: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly env: NodeJS.ProcessEnv;
  readonly journalDir: string;
  readonly flushTimeoutMs: number;
  readonly onNotice: (message: string) => void;
  readonly retry?: RetryPolicy;
  /** Base for a relative path in a run's `artifact_uri`. */
  readonly cwd: string;
}

/** The early, one-time message when a run's artifacts cannot be stored; the rest of the run goes on. */
function artifactFailureNotice(runName: string, uri: string, journal: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return (
    `the artifacts of run "${runName}" cannot be stored: ${reason} Its metrics, params and status still go to ${uri}; ` +
    `the artifacts are kept in ${journal}, and \`attnlab sync\` sends them once this is fixed.`
  );
}

/** Starts a run on a tracking server; waits at most `flushTimeoutMs` for the server to create it. */
export async function openJournalTracker(options: OpenJournalTrackerOptions): Promise<Tracker> {
  validateTags(options.tags);
  const dir = options.journalDir;
  const key = randomBytes(16).toString('hex');
  const files = paths(dir, key);
  await mkdir(files.artifacts, { recursive: true });
  await writeFile(files.lock, JSON.stringify({ pid: process.pid, host: hostname() }));
  const writer = await JournalWriter.open(files.journal, key);
  const sender = new JournalSender(dir, key, options.uri, options.env, { offset: 0, artifactOffset: 0 }, {
    retry: options.retry ?? DEFAULT_RETRY,
    keepAlive: false,
    cwd: options.cwd,
    onFailure: (lane, error) => {
      if (lane === 'artifacts') options.onNotice(artifactFailureNotice(options.runName, options.uri, files.journal, error));
    },
  });
  const opened = await writer.append({
    type: 'open',
    uri: options.uri,
    experiment: options.experiment,
    runName: options.runName,
    userId: currentUser(options.env),
    startTime: Date.now(),
    tags: options.tags,
  });
  sender.enqueue(opened);
  const reached = await sender.drain(options.flushTimeoutMs, ['data']);
  if (!reached && sender.failure !== undefined && !isRetryable(sender.failure)) {
    sender.stop();
    await writer.close();
    await removeJournal(dir, key);
    throw sender.failure;
  }
  if (!reached) {
    options.onNotice(
      `tracking server ${options.uri} not reached yet; run "${options.runName}" is journalled in ${files.journal} and sent when it answers (or by \`attnlab sync\`).`,
    );
  }
  return new JournalTracker(dir, key, writer, sender, options);
}

function isRetryable(error: unknown): boolean {
  return error instanceof MlflowApiError && error.retryable;
}

class JournalTracker implements Tracker {
  private readonly loggedParams = new Map<string, string>();
  private ended = false;

  constructor(
    private readonly dir: string,
    private readonly key: string,
    private readonly writer: JournalWriter,
    private readonly sender: JournalSender,
    private readonly options: OpenJournalTrackerOptions,
  ) {}

  get runId(): string {
    return this.sender.state.runId ?? this.key;
  }

  get experimentId(): string {
    return this.sender.state.experimentId ?? '';
  }

  async logParams(params: Readonly<Record<string, string | number | boolean>>): Promise<void> {
    const values = normaliseParams(params, this.options.onNotice);
    checkParamsUnchanged(this.runId, values, this.loggedParams);
    await this.record({ type: 'params', params: values });
  }

  async logMetrics(metrics: Readonly<Record<string, number>>, step: number): Promise<void> {
    validateMetrics(metrics, step);
    const timestamp = Date.now();
    const points = Object.entries(metrics).map(([key, value]) => ({ key, value: encodeMetricValue(value), timestamp, step }));
    await this.record({ type: 'metrics', metrics: points });
  }

  async setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    validateTags(tags);
    await this.record({ type: 'tags', tags });
  }

  async logArtifact(relativePath: string, content: string | Uint8Array): Promise<void> {
    validateArtifactPath(relativePath);
    const id = this.writer.nextId();
    const copy = this.artifactCopy(id);
    await writeDurably(join(this.dir, copy), content);
    await this.record({ type: 'artifact', path: relativePath, copy }, id);
  }

  async logArtifactFile(relativePath: string, localFile: string): Promise<void> {
    validateArtifactPath(relativePath);
    const id = this.writer.nextId();
    const copy = this.artifactCopy(id);
    await copyFile(localFile, join(this.dir, copy));
    await this.record({ type: 'artifact', path: relativePath, copy }, id);
  }

  async end(status: EndStatus, error?: unknown): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) {
      await this.record({ type: 'tags', tags: { 'attnlab.error': errorTagValue(error, MLFLOW_LIMITS.tagValueLength) } });
    }
    await this.record({ type: 'end', status, endTime: Date.now() });
    // A stopped run has a scheduler's kill a few seconds behind its signal: it waits for the server
    // only briefly, and what is not sent by then stays in the journal for `attnlab sync`.
    const wait = status === 'KILLED' ? Math.min(this.options.flushTimeoutMs, KILLED_FLUSH_MS) : this.options.flushTimeoutMs;
    const done = await this.sender.drain(wait);
    this.sender.stop();
    await this.writer.close();
    if (done) {
      await removeJournal(this.dir, this.key);
      return;
    }
    await rm(paths(this.dir, this.key).lock, { force: true });
    const artifactFailure = this.sender.laneFailure('artifacts');
    const recorded = this.sender.lanePending('data') === 0;
    if (recorded && artifactFailure !== undefined && !isRetryable(artifactFailure)) {
      // The run is on the server, ended; only its artifacts are missing, and no retry will store them.
      throw new TrackingError(
        'tracking/artifacts-not-stored',
        `run "${this.options.runName}" ended as ${status} on ${this.options.uri}, but ${this.sender.lanePending('artifacts')} of its ` +
          `artifacts could not be stored: ${artifactFailure instanceof Error ? artifactFailure.message : String(artifactFailure)} ` +
          `They are kept in ${paths(this.dir, this.key).journal}: fix the artifact store, then run \`attnlab sync\`.`,
        artifactFailure,
      );
    }
    this.options.onNotice(
      `${this.sender.pendingEvents} events of run "${this.options.runName}" are not on ${this.options.uri} yet; ` +
        `they are kept in ${paths(this.dir, this.key).journal}: run \`attnlab sync\` to send them.`,
    );
  }

  private artifactCopy(id: string): string {
    return join(`${this.key}.artifacts`, id.split(':')[1]);
  }

  private async record(event: NewEvent, id?: string): Promise<void> {
    this.sender.enqueue(await this.writer.append(event, id));
  }
}

interface SyncOptions {
  /** The journal folder; {@link DEFAULT_JOURNAL_DIR} under `cwd` by default. */
  readonly dir?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Retries per event before leaving a journal pending (default 4, backoff from 250 ms). */
  readonly retry?: RetryPolicy;
}

type JournalOutcome = 'synced' | 'pending' | 'failed' | 'in-use';

interface JournalSyncResult {
  readonly key: string;
  readonly outcome: JournalOutcome;
  readonly runName?: string;
  readonly runId?: string;
  readonly uri?: string;
  /** Events acknowledged by the server during this sync. */
  readonly sentEvents: number;
  /** Events still waiting in the journal. */
  readonly pendingEvents: number;
  /** Those events by type, e.g. `{ metrics: 2, artifact: 1, end: 1 }`. */
  readonly pending: Readonly<Partial<Record<JournalEvent['type'], number>>>;
  readonly error?: string;
}

interface SyncReport {
  readonly journals: readonly JournalSyncResult[];
}

/**
 * Sends every pending journal in `dir` to its server. A journal still written by a live run is
 * left alone; one whose process died without ending the run is ended as KILLED. Idempotent:
 * what was acknowledged is never sent again, and a fully sent journal is removed.
 */
export async function syncJournals(options: SyncOptions = {}): Promise<SyncReport> {
  const dir = resolve(options.cwd ?? process.cwd(), options.dir ?? DEFAULT_JOURNAL_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  const journals: JournalSyncResult[] = [];
  for (const name of names.filter((file) => file.endsWith('.jsonl')).sort()) {
    const key = name.slice(0, -'.jsonl'.length);
    const retry = options.retry ?? { ...DEFAULT_RETRY, maxAttempts: 4 };
    journals.push(await syncJournal(dir, key, options.env ?? process.env, retry, options.cwd ?? process.cwd()));
  }
  return { journals };
}

async function syncJournal(dir: string, key: string, env: NodeJS.ProcessEnv, retry: RetryPolicy, cwd: string): Promise<JournalSyncResult> {
  const owner = await liveOwner(dir, key);
  if (owner) return { key, outcome: 'in-use', sentEvents: 0, pendingEvents: 0, pending: {}, error: `written by running process ${owner}` };
  let journal: ReadJournal;
  try {
    journal = await readJournal(dir, key);
  } catch (error) {
    return { key, outcome: 'failed', sentEvents: 0, pendingEvents: 0, pending: {}, error: (error as Error).message };
  }
  const state = await readState(dir, key);
  const acknowledged = (item: Pending) => item.end <= (laneOf(item.event) === 'artifacts' ? (state.artifactOffset ?? state.offset) : state.offset);
  const events = journal.events.filter((item) => !acknowledged(item));
  if (!journal.events.some((item) => item.event.type === 'end')) events.push(await endAbandonedRun(dir, key, journal));
  const sender = new JournalSender(dir, key, journal.open.uri, env, state, { retry, keepAlive: true, cwd });
  for (const item of events) sender.enqueue(item);
  await sender.drain(Number.POSITIVE_INFINITY);
  const base = { key, runName: journal.open.runName, runId: sender.state.runId, uri: journal.open.uri, sentEvents: sender.sentEvents };
  if (sender.pendingEvents === 0) {
    await removeJournal(dir, key);
    return { ...base, outcome: 'synced', pendingEvents: 0, pending: {} };
  }
  const failure = sender.failure;
  const error = failure instanceof Error ? failure.message : String(failure);
  const outcome = isRetryable(failure) && isRetryable(sender.laneFailure('artifacts') ?? failure) ? 'pending' : 'failed';
  return { ...base, outcome, pendingEvents: sender.pendingEvents, pending: sender.pendingByType, error };
}

interface ReadJournal {
  readonly open: OpenEvent;
  readonly events: Pending[];
  /** Bytes up to the end of the last complete line. */
  readonly complete: number;
}

/** Parses complete lines; a last line cut short by a crash is the one event that may be lost. */
async function readJournal(dir: string, key: string): Promise<ReadJournal> {
  const bytes = await readFile(paths(dir, key).journal);
  const events: Pending[] = [];
  let start = 0;
  for (let newline = bytes.indexOf(10); newline !== -1; newline = bytes.indexOf(10, start)) {
    const line = bytes.subarray(start, newline).toString('utf8');
    try {
      events.push({ event: JSON.parse(line) as JournalEvent, end: newline + 1 });
    } catch (error) {
      throw new TrackingError('tracking/journal-corrupt', `${paths(dir, key).journal}:${events.length + 1}: not a JSON event`, error);
    }
    start = newline + 1;
  }
  const open = events[0]?.event;
  if (open?.type !== 'open') {
    throw new TrackingError('tracking/journal-corrupt', `${paths(dir, key).journal}:1: expected the run's "open" event`);
  }
  return { open, events, complete: start };
}

/** The run's process died without ending it: record that, durably, as MLflow's KILLED. */
async function endAbandonedRun(dir: string, key: string, journal: ReadJournal): Promise<Pending> {
  const file = paths(dir, key).journal;
  await truncate(file, journal.complete);
  const writer = await JournalWriter.open(file, key, journal.events.length);
  const ended = await writer.append({ type: 'end', status: 'KILLED', endTime: Date.now() });
  await writer.close();
  return ended;
}

/** The pid of a live process still writing the journal, if any. */
async function liveOwner(dir: string, key: string): Promise<number | undefined> {
  const text = await readFile(paths(dir, key).lock, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lock = JSON.parse(text) as { pid: number; host: string };
  // A lock from another machine cannot be checked; it is taken as live rather than ended wrongly.
  if (lock.host !== hostname()) return lock.pid;
  try {
    process.kill(lock.pid, 0);
    return lock.pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? lock.pid : undefined;
  }
}
