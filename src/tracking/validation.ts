/**
 * MLflow's limits and naming rules, checked before anything is written or sent, so that a bad
 * key fails at the call that logged it instead of in a background upload minutes later.
 */
import { AttnlabError } from '../errors.js';

/** Thrown for input that MLflow would reject, and for a tracking store that cannot be used. */
export class TrackingError extends AttnlabError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = 'TrackingError';
  }
}

/** MLflow 2.x server limits (`mlflow/utils/validation.py`). */
export const MLFLOW_LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
} as const;

type EntityKind = 'metric' | 'param' | 'tag';

/**
 * MLflow's `_VALID_PARAM_AND_METRIC_NAMES` outside Windows: `^[/\w.\- :]*$`. Python's `\w` is
 * Unicode-aware; letters, digits and `_` match it.
 */
const KEY_CHARACTERS = /^[/\p{L}\p{N}_.\- :]*$/u;

/** Throws unless `key` is a name MLflow accepts for a metric, param or tag. */
export function validateKey(kind: EntityKind, key: string): void {
  if (key.length > MLFLOW_LIMITS.keyLength) {
    throw new TrackingError(
      'tracking/key-too-long',
      `${kind} key "${key.slice(0, 40)}…" has ${key.length} characters; MLflow accepts at most ${MLFLOW_LIMITS.keyLength}.`,
    );
  }
  if (!KEY_CHARACTERS.test(key)) {
    throw new TrackingError(
      'tracking/bad-key',
      `${kind} key "${key}" has characters MLflow rejects; use only letters, digits, "_", "-", ".", " ", ":" and "/".`,
    );
  }
  if (!isNormalisedPath(key)) {
    throw new TrackingError(
      'tracking/bad-key',
      `${kind} key "${key}" is not a normalised path (empty, ".", "..", "//", or a leading or trailing "/"); ` +
        `write it as "${suggestNormalised(key)}".`,
    );
  }
}

/**
 * MLflow rejects a name that `posixpath.normpath` would change, or that starts with `..` or `/`.
 * Splitting on `/` and refusing empty, `.` and `..` segments is the same rule.
 */
function isNormalisedPath(path: string): boolean {
  if (path.startsWith('..')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function suggestNormalised(key: string): string {
  const segments = key.split('/').filter((segment) => segment !== '' && segment !== '.' && segment !== '..');
  return segments.join('/') || 'a_name';
}

/** Called with a message when a value is cut to fit MLflow's limits. */
type TruncationWarning = (message: string) => void;

/**
 * `value` cut to MLflow's param limit, as MLflow's own client cuts it (`MLFLOW_TRUNCATE_LONG_VALUES`,
 * on by default), with a warning instead of MLflow's log line. Servers before the truncation
 * refuse the whole batch, so the cut is made before anything is written or sent.
 */
function truncateParamValue(key: string, value: string, warn: TruncationWarning): string {
  if (value.length <= MLFLOW_LIMITS.paramValueLength) return value;
  warn(
    `param "${key}" has a value of ${value.length} characters; MLflow keeps at most ${MLFLOW_LIMITS.paramValueLength}, ` +
      `so it is logged cut to that length (the run's config.yaml artifact holds the full value).`,
  );
  return value.slice(0, MLFLOW_LIMITS.paramValueLength);
}

function validateTagValue(key: string, value: string): void {
  if (value.length > MLFLOW_LIMITS.tagValueLength) {
    throw new TrackingError(
      'tracking/tag-too-long',
      `tag "${key}" has a value of ${value.length} characters; MLflow accepts at most ${MLFLOW_LIMITS.tagValueLength}. ` +
        `Shorten it or log it as an artifact.`,
    );
  }
}

function validateStep(step: number): void {
  if (!Number.isSafeInteger(step)) {
    throw new TrackingError('tracking/bad-step', `metric step ${step} is not an integer; MLflow steps are int64.`);
  }
}

function validateMetricValue(key: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') {
    throw new TrackingError('tracking/bad-metric', `metric "${key}" has value ${String(value)}; expected a number.`);
  }
}

/** Relative artifact paths: normalised, inside the run's artifact folder. */
export function validateArtifactPath(path: string): void {
  if (!isNormalisedPath(path)) {
    throw new TrackingError(
      'tracking/bad-artifact-path',
      `artifact path "${path}" must be relative and normalised (no "..", ".", "//", leading or trailing "/"); ` +
        `e.g. "${suggestNormalised(path)}".`,
    );
  }
}

/**
 * Params never change value within a run (MLflow rejects it). `logged` holds what the run has
 * logged so far and is updated with the accepted values.
 */
export function checkParamsUnchanged(
  runId: string,
  params: Readonly<Record<string, string>>,
  logged: Map<string, string>,
): void {
  for (const [key, value] of Object.entries(params)) {
    const previous = logged.get(key);
    if (previous !== undefined && previous !== value) {
      throw new TrackingError(
        'tracking/param-changed',
        `param "${key}" of run ${runId} was logged as "${previous}" and cannot change to "${value}"; ` +
          `params are fixed once logged (log a changing value as a metric or tag).`,
      );
    }
  }
  for (const [key, value] of Object.entries(params)) logged.set(key, value);
}

/** Validates and stringifies params as MLflow stores them; values too long are cut, with a warning. */
export function normaliseParams(
  params: Readonly<Record<string, string | number | boolean>>,
  warn: TruncationWarning,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, raw] of Object.entries(params)) {
    validateKey('param', key);
    result[key] = truncateParamValue(key, String(raw), warn);
  }
  return result;
}

export function validateTags(tags: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(tags)) {
    validateKey('tag', key);
    validateTagValue(key, value);
  }
}

export function validateMetrics(metrics: Readonly<Record<string, number>>, step: number): void {
  validateStep(step);
  for (const [key, value] of Object.entries(metrics)) {
    validateKey('metric', key);
    validateMetricValue(key, value);
  }
}

/** The message recorded for a failed run, cut to fit a tag. */
export function errorTagValue(error: unknown, limit: number): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** A config key that would fail as an MLflow param, found before any run is created. */
interface ParamKeyProblem {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

/** The problems MLflow would raise for the param keys of a flattened config (`flattenParams`). */
export function paramKeyProblems(params: Readonly<Record<string, string>>): ParamKeyProblem[] {
  const problems: ParamKeyProblem[] = [];
  for (const key of Object.keys(params)) {
    try {
      validateKey('param', key);
    } catch (error) {
      if (!(error instanceof TrackingError)) throw error;
      problems.push({ key, code: error.code, message: error.message });
    }
  }
  return problems;
}
