/**
 * A sweep's plan: every trial's resolved config, validated before anything runs, with its
 * identity (a hash of the resolved config and the code's commit) and what sets it apart.
 */
import type { Container } from 'inversify';
import { ConfigError, Problem } from '../errors.js';
import type { Override } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { resolveConfigFile } from '../config/validate.js';
import { configHash } from '../config/hash.js';
import { gitCommit } from '../tracking/run-record.js';
import { expandTrials } from './expand.js';
import type { SweepFile } from './sweep-file.js';

export interface PlannedTrial {
  readonly index: number;
  /** The trial's own settings (the sweep's axes), e.g. `regularizers.entropy.weight=0.01`. */
  readonly overrides: readonly Override[];
  readonly config: ResolvedConfig;
  /** SHA-256 of the resolved config and the code's commit: the trial's identity across reruns. */
  readonly hash: string;
}

export interface SweepPlan {
  readonly sweep: SweepFile;
  readonly trials: readonly PlannedTrial[];
  /** Config keys whose value differs between trials. */
  readonly varying: readonly string[];
  readonly commit?: string;
  readonly container: Container;
}

/** Resolves every trial; all problems of all trials are reported at once, at the sweep file's lines. */
export async function planSweep(sweep: SweepFile, commandLine: readonly Override[]): Promise<SweepPlan> {
  const commit = await gitCommit(process.cwd());
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
  if (problems.size > 0) throw new ConfigError([...problems.values()]);
  return { sweep, trials, varying: varyingKeys(sweep), commit, container: container as Container };
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

/** The trial's identity across reruns: its resolved config (whatever its name) and the code's commit. */
export function trialHash(config: ResolvedConfig, commit: string | undefined): string {
  const { name: _name, ...identity } = config;
  return configHash(identity, commit);
}
