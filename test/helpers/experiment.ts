/** Builds and trains models from YAML snippets on synthetic data, in process, without tracking. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container } from 'inversify';
import { parseOverrides } from '../../src/config/load.js';
import { resolveConfigFile } from '../../src/config/validate.js';
import { selectBackend } from '../../src/nn/backend.js';
import { silentProgress } from '../../src/progress.js';
import { buildModel, type BuiltModel } from '../../src/run/build.js';
import { loadData, type LoadedData } from '../../src/run/experiment.js';
import type { Tf } from '../../src/plugin-api.js';
import { train, type EpochResult, type TrainResult } from '../../src/train/trainer.js';
import type { ResolvedConfig } from '../../src/config/types.js';

export interface Experiment {
  readonly tf: Tf;
  readonly container: Container;
  readonly config: ResolvedConfig;
  readonly data: LoadedData;
  readonly built: BuiltModel;
}

/** A config file in `folder`, by default a fresh temporary one. */
export function writeConfig(yaml: string, name = 'experiment.yaml', folder = mkdtempSync(join(tmpdir(), 'attnlab-run-'))): string {
  const file = join(folder, name);
  writeFileSync(file, yaml);
  return file;
}

/** `folder`: where the config file goes (its relative paths start there); by default a fresh temporary one. */
export async function buildExperiment(yaml: string, overrides: readonly string[] = [], folder?: string): Promise<Experiment> {
  const { config, container, file } = await resolveConfigFile(writeConfig(yaml, undefined, folder), parseOverrides(overrides));
  const { tf } = await selectBackend(config.backend);
  const data = await loadData(config, container, join(file, '..'), { progress: silentProgress, log: () => {} });
  const built = await buildModel(tf, config, container, { vectors: data.embeddings, dim: data.dim, trainable: data.trainable }, data.labels.length);
  return { tf, container, config, data, built };
}

export function trainExperiment({ tf, config, data, built }: Experiment, onEpoch?: (result: EpochResult) => void): Promise<TrainResult> {
  return train({
    tf,
    model: built.model,
    optimizer: built.optimizer,
    regularizers: built.regularizers,
    train: data.train,
    validation: data.validation,
    settings: config.train,
    seed: config.seed,
    progress: silentProgress,
    onEpoch,
  });
}

/** The synthetic task of configs/quickstart.yaml with a chosen model block. */
export function syntheticConfig(model: string, extra = ''): string {
  return `data: { type: synthetic, size: 3000, test_size: 200 }
embeddings: { type: random, dim: 100 }
model:
${model}
train: { epochs: 10, lr: 0.02, batch_size: 32, max_length: 64, patience: 0 }
${extra}`;
}
