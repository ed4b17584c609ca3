/**
 * The tracking checks `validate` runs on a resolved config, so that what MLflow would refuse at
 * run time (a param key it rejects, a store attnlab cannot write) fails before any run is created.
 */
import { flattenParams } from './run-record.js';
import { resolveTrackingTarget } from './tracker.js';
import { paramKeyProblems, TrackingError } from './validation.js';

interface TrackingProblem {
  readonly code: string;
  readonly message: string;
  /** The config key path, e.g. `model.pooler.type` or `tracking.uri`. */
  readonly path: string;
}

export function trackingProblems(config: object): TrackingProblem[] {
  const problems: TrackingProblem[] = paramKeyProblems(flattenParams(config)).map((problem) => ({
    code: problem.code,
    message: problem.message,
    path: problem.key,
  }));
  const uri = (config as { tracking?: { uri?: unknown } }).tracking?.uri;
  if (typeof uri === 'string') {
    try {
      resolveTrackingTarget(uri, {}, process.cwd());
    } catch (error) {
      if (!(error instanceof TrackingError)) throw error;
      problems.push({ code: error.code, message: error.message, path: 'tracking.uri' });
    }
  }
  return problems;
}
