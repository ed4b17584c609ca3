/**
 * Scoring gives the same numbers however the split is cut into batches: one review per batch,
 * bounded batches, or the whole split at once; reviews longer than `max_length` included.
 */
import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import type { EncodedSplit } from '../../src/data/batches.js';
import { crossEntropy } from '../../src/train/loss.js';
import { argMax, evaluate, type EvaluateOptions, type Evaluation } from '../../src/train/evaluate.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { buildExperiment, type Experiment } from '../helpers/experiment.js';

/** Reviews of 3 to 30 words, cut at 12 tokens: the longer ones are scored on their first 12. */
const MAX_LENGTH = 12;
const config = (model: string) => `data: { type: synthetic, size: 60, test_size: 45, min_length: 3, max_length: 30 }
embeddings: { type: random, dim: 8 }
model:
${model}
train: { max_length: ${MAX_LENGTH} }
`;

const MODELS = {
  'fixed-query attention': '  pooler: { type: fixed-query }',
  'LSTM under attention': '  encoder: { type: lstm, state_size: 6 }\n  pooler: { type: fixed-query }',
};

const SIZINGS: Record<string, Omit<EvaluateOptions, 'maxLength'>> = {
  'one review per batch': { batchSize: 1 },
  'bounded batches': { batchSize: 7, batchTokens: 40 },
  'the whole split in one batch': { batchSize: 65536 },
};

function lengths(split: EncodedSplit): number[] {
  return Array.from({ length: split.size }, (_, row) => Math.min(MAX_LENGTH, split.offsets[row + 1] - split.offsets[row]));
}

/** What an evaluation says of each review, as plain numbers. */
function plain(evaluation: Evaluation) {
  return { ...evaluation, probabilities: [...evaluation.probabilities], attention: evaluation.attention.map((weights) => [...weights]) };
}

/** The first `size` reviews of `split`. */
function head(split: EncodedSplit, size: number): EncodedSplit {
  return { ids: split.ids.subarray(0, split.offsets[size]), offsets: split.offsets.subarray(0, size + 1), labels: split.labels.subarray(0, size), size };
}

async function withExperiment(model: string, body: (experiment: Experiment) => void): Promise<void> {
  const experiment = await buildExperiment(config(model));
  try {
    body(experiment);
  } finally {
    experiment.built.dispose();
  }
}

for (const [name, model] of Object.entries(MODELS)) {
  test.serial(`${name}: loss, accuracy, probabilities and attention are the same whatever the batch sizing`, async (t) => {
    await withExperiment(model, ({ tf, built, data }) => {
      const split = data.test;
      t.true(lengths(split).some((length) => length === MAX_LENGTH) && split.offsets[split.size] > MAX_LENGTH * split.size * 0.5, 'some reviews are cut');
      const results = Object.entries(SIZINGS).map(([sizing, options]) => ({ sizing, result: plain(evaluate(tf, built.model, split, { ...options, maxLength: MAX_LENGTH })) }));
      const [reference, ...others] = results;
      t.deepEqual(reference.result.attention.map((weights) => weights.length), lengths(split));
      t.is(reference.result.probabilities.length, split.size * data.labels.length);
      for (const { sizing, result } of others) t.deepEqual(result, reference.result, sizing);
    });
  });

  test.serial(`${name}: one review is scored as it is within the split`, async (t) => {
    await withExperiment(model, ({ tf, built, data }) => {
      const whole = plain(evaluate(tf, built.model, data.test, { batchSize: 256, maxLength: MAX_LENGTH }));
      const alone = plain(evaluate(tf, built.model, head(data.test, 1), { batchSize: 256, maxLength: MAX_LENGTH }));
      const classes = data.labels.length;
      t.deepEqual(alone.probabilities, whole.probabilities.slice(0, classes));
      t.deepEqual(alone.attention, whole.attention.slice(0, 1));
      t.is(alone.accuracy, argMax(alone.probabilities) === data.test.labels[0] ? 1 : 0);
    });
  });
}

test.serial('an empty split scores to no reviews and NaN metrics', async (t) => {
  await withExperiment(MODELS['fixed-query attention'], ({ tf, built, data }) => {
    const empty = evaluate(tf, built.model, head(data.test, 0), { batchSize: 256, maxLength: MAX_LENGTH });
    t.deepEqual([...empty.probabilities], []);
    t.deepEqual(empty.attention, []);
    t.true(Number.isNaN(empty.loss) && Number.isNaN(empty.accuracy) && Number.isNaN(empty.macroF1));
  });
});

test.serial('the loss is the mean cross-entropy tfjs computes from the same logits', async (t) => {
  await withExperiment(MODELS['fixed-query attention'], ({ tf, built, data }) => {
    const result = evaluate(tf, built.model, data.test, { batchSize: 256, maxLength: MAX_LENGTH });
    const classes = data.labels.length;
    // log p recovers the logits up to a constant per row, which the cross-entropy ignores.
    const logits = tf.log(tf.tensor2d(result.probabilities, [data.test.size, classes])) as tfjs.Tensor2D;
    const expected = crossEntropy(tf, logits, tf.tensor1d(data.test.labels, 'int32')).dataSync()[0];
    tf.dispose(logits);
    t.true(Math.abs(result.loss - expected) < 1e-5, `${result.loss} vs ${expected}`);
  });
});

test('softmaxCrossEntropy: probabilities sum to 1, the loss is −log p(label), 0 for a label outside the classes', (t) => {
  const logits = Float32Array.of(2, -1, 0.5, 40);
  const probabilities = new Float32Array(4);
  const loss = softmaxCrossEntropy(logits, 2, probabilities);
  const sum = Math.exp(2 - 40) + Math.exp(-41) + Math.exp(0.5 - 40) + 1;
  t.true(Math.abs(probabilities[3] - 1 / sum) < 1e-7);
  t.true(Math.abs(probabilities.reduce((total, p) => total + p, 0) - 1) < 1e-6);
  t.true(Math.abs(loss - (40 - 0.5 + Math.log(sum))) < 1e-9, String(loss));
  t.is(softmaxCrossEntropy(logits, -1, probabilities), 0);
});
