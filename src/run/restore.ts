/**
 * A finished run brought back: its resolved config and checkpoint, rebuilt into a model, for
 * `attnlab eval` and `attnlab explain`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Container } from 'inversify';
import { DataError } from '../errors.js';
import { resolveConfigFile } from '../config/validate.js';
import type { ResolvedConfig } from '../config/types.js';
import { selectBackend } from '../nn/backend.js';
import { buildTokenizer } from '../data/token-plugin.js';
import type { Tf, Tokenizer } from '../plugin-api.js';
import { resolveTrackingTarget } from '../tracking/tracker.js';
import { readCheckpoint, restoreVariables, type Checkpoint } from '../train/checkpoint.js';
import { buildModel, type BuiltModel } from './build.js';

export interface RestoredRun {
  /** The run's artifact folder. */
  readonly artifactDir: string;
  readonly config: ResolvedConfig;
  readonly container: Container;
  readonly checkpoint: Checkpoint;
  readonly tf: Tf;
  readonly backend: string;
  readonly built: BuiltModel;
  /** The tokenizer the run trained with (its config's `tokenizer` block), for every text it scores. */
  readonly tokenizer: Tokenizer;
}

/**
 * The artifact folder of `reference`: a run folder, its `artifacts/` folder, or a run id (or a
 * unique prefix of one) in the local store that `MLFLOW_TRACKING_URI` (else `./runs`) selects.
 */
export function locateRun(reference: string, env: NodeJS.ProcessEnv = process.env): string {
  if (reference.trim() === '') throw new DataError('run-reference-empty', 'the run reference is empty; give a run id (`attnlab runs` lists them) or a run folder');
  for (const candidate of [join(reference, 'artifacts'), reference]) {
    if (existsSync(join(candidate, 'checkpoint', 'manifest.json'))) return resolve(candidate);
  }
  const target = resolveTrackingTarget(undefined, env);
  if (target.kind !== 'file') {
    throw new DataError('run-not-local', `"${reference}" is not a run folder; runs on an MLflow server (${target.uri}) are read from a folder: download the run's artifacts and pass that folder`);
  }
  const matches = existsSync(target.root)
    ? readdirSync(target.root, { withFileTypes: true })
        .filter((experiment) => experiment.isDirectory())
        .flatMap((experiment) =>
          readdirSync(join(target.root, experiment.name))
            .filter((run) => run.startsWith(reference))
            .map((run) => join(target.root, experiment.name, run, 'artifacts')),
        )
        .filter((artifacts) => existsSync(join(artifacts, 'checkpoint', 'manifest.json')))
    : [];
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new DataError('run-ambiguous', `"${reference}" matches ${matches.length} runs in ${target.root}; give more of the run id`);
  throw new DataError('run-not-found', `no run "${reference}" with a checkpoint in ${target.root}, and no run folder at that path; \`attnlab runs\` lists the runs`);
}

export async function restoreRun(reference: string): Promise<RestoredRun> {
  const artifactDir = locateRun(reference);
  const { config, container } = await resolveConfigFile(join(artifactDir, 'config.yaml'));
  const checkpoint = await readCheckpoint(join(artifactDir, 'checkpoint'));
  const { tokenizer } = await buildTokenizer(container, config.tokenizer);
  const { tf, backend } = await selectBackend(config.backend);
  const source = { vectors: checkpoint.embeddings, dim: checkpoint.manifest.embeddingDim, trainable: false };
  const built = await buildModel(tf, config, container, source, checkpoint.manifest.labels.length);
  restoreVariables(tf, built.model.variables, checkpoint);
  return { artifactDir, config, container, checkpoint, tf, backend, built, tokenizer };
}
