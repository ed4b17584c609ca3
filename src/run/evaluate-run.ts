/** `attnlab eval`: a finished run's checkpoint scored again on its dataset. */
import { cacheDirectory } from '../data/cache.js';
import { encodeWithVocabulary } from '../data/prepare.js';
import type { LabelledCorpus } from '../plugin-api.js';
import { buildPlugin } from '../plugins/container.js';
import { createProgress } from '../progress.js';
import { evaluate } from '../train/evaluate.js';
import { restoreRun, type RestoredRun } from './restore.js';

export interface RunEvaluation {
  readonly name: string;
  readonly artifactDir: string;
  readonly split: 'test' | 'validation';
  readonly reviews: number;
  readonly accuracy: number;
  readonly loss: number;
}

export async function evaluateRun(reference: string, split: 'test' | 'validation'): Promise<RunEvaluation> {
  const run = await restoreRun(reference);
  try {
    const corpus = await loadCorpus(run);
    const encoded = encodeWithVocabulary(corpus[split], run.checkpoint.vocabulary, run.config.train.max_length);
    const result = evaluate(run.tf, run.built.model, encoded, { batchSize: run.config.train.eval_batch_size, maxLength: run.config.train.max_length });
    return { name: run.config.name, artifactDir: run.artifactDir, split, reviews: encoded.size, accuracy: result.accuracy, loss: result.loss };
  } finally {
    run.built.dispose();
  }
}

/** The run's dataset, split with the run's seed exactly as during training. */
export async function loadCorpus(run: RestoredRun): Promise<LabelledCorpus> {
  const context = { cacheDir: cacheDirectory(), progress: createProgress({ plainLines: false }), seed: run.config.seed, configDir: process.cwd() };
  const dataset = await buildPlugin(run.container, 'dataset', run.config.data, context);
  return dataset.load();
}
