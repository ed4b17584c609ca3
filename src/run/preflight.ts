/**
 * What must hold before a run is created in the store: data that can train and be scored. Each
 * check is named; a failure is a DataError saying what was found and what would be needed.
 */
import type { Container } from 'inversify';
import type { ResolvedConfig } from '../config/types.js';
import type { EncodedSplit } from '../data/batches.js';
import type { PreparedData } from '../data/prepare.js';
import { DataError } from '../errors.js';
import type { Tf } from '../plugin-api.js';
import { lossAndGradients } from '../train/loss.js';
import { buildModel } from './build.js';

/** The embedding width of the tiny check when the embeddings block does not state one. */
const TINY_DIM = 16;

/**
 * Builds the model on a four-word vocabulary and runs one training step's loss and gradients on a
 * two-review batch with padding, before any data loads: the plugins' shape and contract checks
 * (and their exceptions, named by file) come in a second, not after the data.
 */
export async function checkPluginsOnTinyBatch(tf: Tf, config: ResolvedConfig, container: Container): Promise<void> {
  const declared = config.embeddings.dim;
  const dim = typeof declared === 'number' && Number.isInteger(declared) && declared > 0 ? declared : TINY_DIM;
  const listed = config.data.labels;
  const classes = Array.isArray(listed) && listed.length >= 2 ? listed.length : 2;
  const vectors = new Float32Array(4 * dim).map((_, index) => Math.sin(index + 1) / 2);
  const built = await buildModel(tf, config, container, { vectors, dim, trainable: false }, classes);
  try {
    tf.tidy(() => {
      const ids = tf.tensor2d([[2, 3, 1], [3, 0, 0]], [2, 3], 'int32');
      const mask = tf.tensor2d([[1, 1, 1], [1, 0, 0]], [2, 3]);
      lossAndGradients(tf, built.model, built.regularizers, { ids, mask, labels: tf.tensor1d([0, classes - 1], 'int32') });
    });
  } finally {
    built.dispose();
  }
}

type Split = 'train' | 'validation' | 'test';

/** Throws the first reason `data` cannot train or be scored. */
export function checkTrainable(data: Pick<PreparedData, 'labels' | 'train' | 'validation' | 'test' | 'vocabulary' | 'dim' | 'embeddings'>): void {
  for (const split of ['train', 'validation', 'test'] as const) checkSplitNotEmpty(split, data[split]);
  checkTwoClasses(data.labels, data.train);
  for (const split of ['train', 'validation', 'test'] as const) checkSomeTokens(split, data[split]);
  if (!Number.isInteger(data.dim) || data.dim < 1 || data.embeddings.length !== data.vocabulary.length * data.dim) {
    throw new DataError(
      'embeddings-shape',
      `the embedding matrix has ${data.embeddings.length} values, expected ${data.vocabulary.length} words × ${data.dim} dimensions`,
    );
  }
}

const NEEDED: Record<Split, string> = {
  train: 'there is nothing to train on; raise data.train_limit or data.size',
  validation: 'the best epoch and early stopping are chosen on validation; raise data.val_fraction (or data.train_limit) so that it holds reviews',
  test: 'the run is scored on the test split; raise data.test_limit or data.test_size',
};

function checkSplitNotEmpty(split: Split, encoded: EncodedSplit): void {
  if (encoded.size === 0) throw new DataError('data-split-empty', `the ${split} split has no reviews: ${NEEDED[split]}`);
}

function checkTwoClasses(labels: readonly string[], train: EncodedSplit): void {
  const present = new Set(train.labels);
  if (labels.length < 2 || present.size < 2) {
    const found = [...present].map((label) => labels[label] ?? String(label));
    throw new DataError(
      'data-one-class',
      `the training split holds ${present.size === 1 ? 'only the class' : 'the classes'} ${found.map((label) => JSON.stringify(label)).join(', ') || '(none)'}; a classifier needs at least two (labels: ${labels.join(', ') || 'none'})`,
    );
  }
}

function checkSomeTokens(split: Split, encoded: EncodedSplit): void {
  if (encoded.ids.length === 0) {
    throw new DataError('data-no-tokens', `every review of the ${split} split is empty once tokenised: there are no words to attend to`);
  }
}
