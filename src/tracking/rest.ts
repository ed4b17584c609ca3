/**
 * A small typed client of MLflow's REST API 2.0 (the endpoints attnlab needs), on Node's fetch.
 * One call is one attempt: retries and backoff belong to the journal that drives it.
 */
import { MLFLOW_LIMITS, TrackingError, validateArtifactPath } from './validation.js';

/** A metric point as MLflow's JSON carries it: protobuf's JSON mapping spells non-finite doubles as strings. */
export interface WireMetric {
  readonly key: string;
  readonly value: number | 'NaN' | 'Infinity' | '-Infinity';
  readonly timestamp: number;
  readonly step: number;
}
export interface KeyValue {
  readonly key: string;
  readonly value: string;
}
export interface LogBatch {
  readonly metrics?: readonly WireMetric[];
  readonly params?: readonly KeyValue[];
  readonly tags?: readonly KeyValue[];
}

/** int64 fields may come back as JSON strings (protobuf's mapping) or numbers (MLflow's server). */
type Int64 = number | string;

interface MlflowExperiment {
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_location?: string;
  readonly lifecycle_stage?: string;
}
export interface MlflowRunInfo {
  readonly run_id: string;
  readonly experiment_id: string;
  readonly run_name?: string;
  readonly user_id?: string;
  readonly status: string;
  readonly start_time?: Int64;
  readonly end_time?: Int64;
  readonly artifact_uri?: string;
  readonly lifecycle_stage?: string;
}
export interface MlflowRun {
  readonly info: MlflowRunInfo;
  readonly data?: {
    readonly metrics?: readonly WireMetric[];
    readonly params?: readonly KeyValue[];
    readonly tags?: readonly KeyValue[];
  };
}
interface SearchRunsRequest {
  readonly experimentIds: readonly string[];
  readonly filter?: string;
  readonly maxResults?: number;
  readonly orderBy?: readonly string[];
  readonly pageToken?: string;
}
interface CreateRunRequest {
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly startTime: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** An MLflow error answer (`{"error_code", "message"}`) or a failed connection (`status` 0). */
export class MlflowApiError extends TrackingError {
  constructor(
    readonly endpoint: string,
    readonly status: number,
    readonly errorCode: string,
    message: string,
    cause?: unknown,
  ) {
    super(`tracking/server-${errorCode.toLowerCase()}`, `${endpoint}: ${message}`, cause);
    this.name = 'MlflowApiError';
  }

  /**
   * Worth sending again later: the server was unreachable, overloaded or failing, not refusing.
   * A URL fetch will never open and a server that does not serve artifacts are not.
   */
  get retryable(): boolean {
    if (PERMANENT_CODES.has(this.errorCode)) return false;
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** Failures that no retry can cure; the fix is the user's. */
const PERMANENT_CODES = new Set(['BAD_PORT', 'ARTIFACTS_NOT_SERVED']);

export function encodeMetricValue(value: number): WireMetric['value'] {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export function decodeMetricValue(value: WireMetric['value'] | string): number {
  return typeof value === 'number' ? value : Number(value);
}

interface RestClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  readonly uri: string;
  /** `MLFLOW_TRACKING_TOKEN`, or `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Per-request limit in ms (default 10000). */
  readonly timeoutMs?: number;
  /** Aborts every request in flight, e.g. when the run ends. */
  readonly signal?: AbortSignal;
}

export class MlflowRestClient {
  private readonly baseUrl: string;
  private readonly authorization?: string;
  private readonly timeoutMs: number;
  private readonly signal?: AbortSignal;

  constructor(options: RestClientOptions) {
    const url = new URL(options.uri);
    // fetch refuses URLs with credentials; MLflow reads them as basic auth.
    const fromUrl = url.username ? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
    url.username = '';
    url.password = '';
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.authorization = authorizationHeader(options.env ?? process.env, fromUrl);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.signal = options.signal;
  }

  /** The server's base URL, without credentials. */
  get trackingUri(): string {
    return this.baseUrl;
  }

  async getExperimentByName(name: string): Promise<MlflowExperiment | undefined> {
    try {
      const answer = await this.call<{ experiment: MlflowExperiment }>('GET', 'experiments/get-by-name', {
        experiment_name: name,
      });
      return answer.experiment;
    } catch (error) {
      if (error instanceof MlflowApiError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  async createExperiment(name: string): Promise<string> {
    const answer = await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name });
    return answer.experiment_id;
  }

  /** The experiment's id, creating it if needed; safe when another process creates it meanwhile. */
  async getOrCreateExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return found.experiment_id;
    try {
      return await this.createExperiment(name);
    } catch (error) {
      if (!(error instanceof MlflowApiError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
      const created = await this.getExperimentByName(name);
      if (!created) throw error;
      return created.experiment_id;
    }
  }

  async createRun(request: CreateRunRequest): Promise<MlflowRunInfo> {
    const answer = await this.call<{ run: MlflowRun }>('POST', 'runs/create', {
      experiment_id: request.experimentId,
      user_id: request.userId,
      run_name: request.runName,
      start_time: request.startTime,
      tags: toKeyValues(request.tags),
    });
    return answer.run.info;
  }

  /** One `runs/log-batch`; throws `tracking/batch-too-large` for a batch MLflow would refuse. */
  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    checkBatchLimits(batch);
    await this.call('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: batch.metrics ?? [],
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
  }

  async updateRun(runId: string, status: string, endTime: number): Promise<MlflowRunInfo> {
    const answer = await this.call<{ run_info: MlflowRunInfo }>('POST', 'runs/update', {
      run_id: runId,
      status,
      end_time: endTime,
    });
    return answer.run_info;
  }

  async deleteRun(runId: string): Promise<void> {
    await this.call('POST', 'runs/delete', { run_id: runId });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'runs/set-tag', { run_id: runId, key, value });
  }

  async searchRuns(request: SearchRunsRequest): Promise<{ runs: MlflowRun[]; nextPageToken?: string }> {
    const answer = await this.call<{ runs?: MlflowRun[]; next_page_token?: string }>('POST', 'runs/search', {
      experiment_ids: request.experimentIds,
      filter: request.filter ?? '',
      max_results: request.maxResults ?? 1000,
      order_by: request.orderBy ?? [],
      ...(request.pageToken ? { page_token: request.pageToken } : {}),
    });
    return { runs: answer.runs ?? [], nextPageToken: answer.next_page_token || undefined };
  }

  /**
   * Uploads `content` with `PUT <baseUrl>/<relativePath>`, as MLflow's HTTP artifact repository
   * does; `baseUrl` is the run's artifact folder resolved by `resolveArtifactDestination`.
   */
  async uploadArtifact(baseUrl: string, relativePath: string, content: Uint8Array): Promise<void> {
    validateArtifactPath(relativePath);
    const url = `${baseUrl.replace(/\/+$/, '')}/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
    await this.send('PUT', url, `artifacts/${relativePath}`, {
      body: content,
      contentType: 'application/octet-stream',
    });
  }

  private async call<T = unknown>(method: 'GET' | 'POST', endpoint: string, payload: Record<string, unknown>): Promise<T> {
    const url = new URL(`${this.baseUrl}/api/2.0/mlflow/${endpoint}`);
    if (method === 'GET') {
      for (const [key, value] of Object.entries(payload)) url.searchParams.set(key, String(value));
      return this.send<T>(method, url.href, endpoint, {});
    }
    return this.send<T>(method, url.href, endpoint, { body: JSON.stringify(payload), contentType: 'application/json' });
  }

  private async send<T>(
    method: string,
    url: string,
    endpoint: string,
    content: { body?: string | Uint8Array; contentType?: string },
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (content.contentType) headers['Content-Type'] = content.contentType;
    if (this.authorization) headers.Authorization = this.authorization;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: content.body, signal });
    } catch (error) {
      throw unreachable(endpoint, url, error);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok && response.status === 503 && text.includes('--no-serve-artifacts')) {
      throw new MlflowApiError(
        endpoint,
        503,
        'ARTIFACTS_NOT_SERVED',
        `the server at ${new URL(url).origin} does not serve artifacts (it runs with --no-serve-artifacts), but the run's ` +
          `artifact_uri names its proxy (mlflow-artifacts:); restart it with --serve-artifacts, or use an experiment ` +
          `whose artifact location is a path on a disk this machine shares.`,
      );
    }
    if (!response.ok) throw errorFromAnswer(endpoint, response.status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }
}

function authorizationHeader(
  env: NodeJS.ProcessEnv,
  fromUrl: { user: string; password: string } | undefined,
): string | undefined {
  if (env.MLFLOW_TRACKING_TOKEN) return `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  const user = env.MLFLOW_TRACKING_USERNAME ?? fromUrl?.user;
  const password = env.MLFLOW_TRACKING_PASSWORD ?? fromUrl?.password;
  if (user === undefined || password === undefined) return undefined;
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/**
 * A request that got no answer, with the reason Node gives in `error.cause` ("fetch failed" alone
 * says nothing): a refused connection, an unknown host, a timeout, or a port fetch will not open.
 */
function unreachable(endpoint: string, url: string, error: unknown): MlflowApiError {
  const target = new URL(url);
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new MlflowApiError(endpoint, 0, 'UNREACHABLE', `no answer from ${target.origin} (timed out)`, error);
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const reason = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  if (reason === 'bad port') {
    return new MlflowApiError(
      endpoint,
      0,
      'BAD_PORT',
      `cannot connect to ${target.origin}: Node's fetch refuses port ${target.port} (it is on the WHATWG "bad ports" list, ` +
        `e.g. 5060 for SIP); run the server on another port, e.g. 5000.`,
      error,
    );
  }
  const code = (cause as { code?: unknown } | undefined)?.code;
  const detail = typeof code === 'string' && !reason.includes(code) ? `${code}: ${reason}` : reason;
  return new MlflowApiError(endpoint, 0, 'UNREACHABLE', `no answer from ${target.origin} (${detail})`, error);
}

function errorFromAnswer(endpoint: string, status: number, text: string): MlflowApiError {
  let body: { error_code?: string; message?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Proxies and crashed servers answer HTML or nothing; the status says enough then.
  }
  const code = body.error_code ?? (status >= 500 ? 'INTERNAL_ERROR' : `HTTP_${status}`);
  const message = body.message ?? `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  return new MlflowApiError(endpoint, status, code, message);
}

export function toKeyValues(values: Readonly<Record<string, string>>): KeyValue[] {
  return Object.entries(values).map(([key, value]) => ({ key, value }));
}

function checkBatchLimits(batch: LogBatch): void {
  const metrics = batch.metrics?.length ?? 0;
  const params = batch.params?.length ?? 0;
  const tags = batch.tags?.length ?? 0;
  const over =
    metrics > MLFLOW_LIMITS.metricsPerBatch ||
    params > MLFLOW_LIMITS.paramsPerBatch ||
    tags > MLFLOW_LIMITS.tagsPerBatch ||
    metrics + params + tags > MLFLOW_LIMITS.entitiesPerBatch;
  if (over) {
    throw new TrackingError(
      'tracking/batch-too-large',
      `a log-batch of ${metrics} metrics, ${params} params and ${tags} tags exceeds MLflow's limits ` +
        `(${MLFLOW_LIMITS.metricsPerBatch} metrics, ${MLFLOW_LIMITS.paramsPerBatch} params, ` +
        `${MLFLOW_LIMITS.tagsPerBatch} tags, ${MLFLOW_LIMITS.entitiesPerBatch} in all); split it with planLogBatches.`,
    );
  }
}

/** Splits items into as few log-batches as MLflow's limits allow, keeping their order per kind. */
export function planLogBatches(items: Required<LogBatch>): Required<LogBatch>[] {
  const batches: Required<LogBatch>[] = [];
  let params = 0;
  let tags = 0;
  let metrics = 0;
  while (params < items.params.length || tags < items.tags.length || metrics < items.metrics.length) {
    const paramCount = Math.min(MLFLOW_LIMITS.paramsPerBatch, items.params.length - params);
    const tagCount = Math.min(MLFLOW_LIMITS.tagsPerBatch, items.tags.length - tags);
    const room = MLFLOW_LIMITS.entitiesPerBatch - paramCount - tagCount;
    const metricCount = Math.min(MLFLOW_LIMITS.metricsPerBatch, room, items.metrics.length - metrics);
    batches.push({
      params: items.params.slice(params, params + paramCount),
      tags: items.tags.slice(tags, tags + tagCount),
      metrics: items.metrics.slice(metrics, metrics + metricCount),
    });
    params += paramCount;
    tags += tagCount;
    metrics += metricCount;
  }
  return batches;
}
