/**
 * A sweep's plan: every trial's resolved config, validated before anything runs, with its
 * identity (a hash of the resolved config, attnlab's own version and the user's plugin files) and
 * what sets it apart.
 */
import type { Container } from 'inversify';
import { ConfigError, Problem, closest } from '../errors.js';
import type { Override } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { resolveConfigFile } from '../config/validate.js';
import { configHash, pluginsSalt } from '../config/hash.js';
import { codeVersion } from './code-version.js';
import { expandTrials } from './expand.js';
import type { SweepFile } from './sweep-file.js';

export interface PlannedTrial {
  readonly index: number;
  /** The trial's own settings (the sweep's axes), e.g. `regularizers.entropy.weight=0.01`. */
  readonly overrides: readonly Override[];
  readonly config: ResolvedConfig;
  /** SHA-256 of the resolved config, attnlab's version and user plugin contents: the trial's identity across reruns. */
  readonly hash: string;
}

export interface SweepPlan {
  readonly sweep: SweepFile;
  readonly trials: readonly PlannedTrial[];
  /** Config keys whose value differs between trials. */
  readonly varying: readonly string[];
  /** attnlab's version (and its checkout's commit), salted into every trial's hash. */
  readonly commit: string;
  readonly container: Container;
}

/** Resolves every trial; all problems of all trials are reported at once, at the sweep file's lines. */
export async function planSweep(sweep: SweepFile, commandLine: readonly Override[]): Promise<SweepPlan> {
  const commit = await codeVersion();
  const specs = expandTrials(sweep);
  const fixed = Object.entries(sweep.set).map(([path, value]): Override => ({ path, value, text: `${path}=${JSON.stringify(value)}` }));
  const problems = new Map<string, Problem>();
  const trials: PlannedTrial[] = [];
  let container: Container | undefined;
  for (const spec of specs) {
    try {
      const resolved = await resolveConfigFile(sweep.base, [...fixed, ...commandLine, ...spec.overrides], container);
      container = resolved.container;
      const name = `${sweep.name}-${String(spec.index).padStart(String(specs.length - 1).length, '0')}`;
      const config = { ...resolved.config, name };
      trials.push({ index: spec.index, overrides: spec.overrides, config, hash: trialHash(resolved.config, commit) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) {
        const located = locateInSweep(problem, sweep, [...fixed, ...spec.overrides]);
        problems.set(located.format(), located);
      }
    }
  }
  const metricProblem = checkMetric(sweep);
  if (metricProblem) problems.set(metricProblem.format(), metricProblem);
  if (problems.size > 0) throw new ConfigError([...problems.values()]);
  return { sweep, trials, varying: varyingKeys(sweep), commit, container: container as Container };
}

/** What every run logs (see `runResolved` and `epochMetrics`), by which a sweep can rank its trials. */
export const RANKABLE_METRICS: readonly string[] = [
  'val_accuracy',
  'val_loss',
  'best_val_accuracy',
  'train_accuracy',
  'train_loss',
  'test_accuracy',
  'test_loss',
  'val_macro_f1',
  'test_macro_f1',
  'test_roc_auc',
  'test_pr_auc',
  'test_ece',
  'best_epoch',
  'train_seconds',
  'epoch_seconds',
  'items_per_second',
  'learning_rate',
  'oov_rate',
  'vocabulary_size',
  'faithfulness_kendall_tau_median',
  'faithfulness_permutation_delta_median',
  ...['entropy', 'entropy_norm'].flatMap((name) => ['mean', 'p10', 'p50', 'p90'].map((stat) => `val_attention_${name}_${stat}`)),
];

/** A sweep ranked by a metric no run logs would train every trial and rank none: refused up front. */
function checkMetric(sweep: SweepFile): Problem | undefined {
  if (RANKABLE_METRICS.includes(sweep.metric)) return undefined;
  const suggestion = closest(sweep.metric, RANKABLE_METRICS);
  return new Problem({
    code: 'sweep-unknown-metric',
    message: `runs do not log "${sweep.metric}", so no trial could be ranked by it; known: ${RANKABLE_METRICS.join(', ')}${suggestion ? ` — did you mean "${suggestion}"?` : ''}`,
    path: 'metric',
    location: sweep.sources.get('metric')?.value ?? sweep.sources.get('')?.value,
  });
}

/** A problem caused by a trial's own setting is shown at that axis in the sweep file. */
function locateInSweep(problem: Problem, sweep: SweepFile, overrides: readonly Override[]): Problem {
  const override = overrides.find((candidate) => problem.location?.file === `--set ${candidate.text}`);
  if (!override) return problem;
  const axis = [...sweep.sources.keys()].find(
    (path) => path === `grid.${override.path}` || path === `set.${override.path}` || (/^zip\.\d+\./.test(path) && path.endsWith(`.${override.path}`)),
  );
  const location = axis ? sweep.sources.get(axis)?.key : override.path === 'seed' ? sweep.sources.get('seeds')?.key : undefined;
  return new Problem({ ...problem, location: location ?? problem.location, message: `${problem.message} (in trials with ${override.text})` });
}

function varyingKeys(sweep: SweepFile): string[] {
  return [...Object.keys(sweep.grid), ...sweep.zip.flatMap((group) => Object.keys(group)), ...(sweep.seeds ? ['seed'] : [])];
}

/**
 * The trial's identity across reruns: its resolved config (whatever its name), attnlab's version
 * and the content of the config's own plugin files.
 */
export function trialHash(config: ResolvedConfig, commit: string): string {
  const { name: _name, ...identity } = config;
  return configHash(identity, `${commit}${pluginsSalt(config.plugins)}`);
}
