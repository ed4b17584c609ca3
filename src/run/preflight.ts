/**
 * What must hold before a run is created in the store: data that can train and be scored. Each
 * check is named; a failure is a DataError saying what was found and what would be needed.
 */
import type { EncodedSplit } from '../data/batches.js';
import type { PreparedData } from '../data/prepare.js';
import { DataError } from '../errors.js';

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
