import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import type { Model } from '../../src/plugin-api.js';
import { evaluate } from '../../src/train/evaluate.js';

const { tf } = await selectBackend('cpu');

/** A model that predicts class `id − 2` of each review's first token, whatever follows. */
const firstTokenModel = {
  variables: [],
  forward(ids: tfjs.Tensor2D, mask: tfjs.Tensor2D) {
    const first = tf.sub(tf.slice(ids, [0, 0], [-1, 1]).squeeze([1]), tf.scalar(2, 'int32')) as tfjs.Tensor1D;
    return { logits: tf.mul(tf.oneHot(first, 3), 5) as tfjs.Tensor2D, attention: tf.div(mask, tf.sum(mask, 1, true)) as tfjs.Tensor2D, mask };
  },
} as unknown as Model;

test('evaluate reports macro-F1 over three classes as computed by hand from the confusion matrix', (t) => {
  // True labels, and predictions (first tokens 2, 3, 4 → classes 0, 1, 2). Confusion [true][predicted]:
  //   [[2, 1, 0],      precision 2/3, 2/3, 2/3 · recall 2/3, 2/4, 2/2
  //    [1, 2, 1],      F1 2/3, 4/7, 4/5
  //    [0, 0, 2]]      macro-F1 (2/3 + 4/7 + 4/5) / 3 = 214/315 · accuracy 6/9
  const labels = [0, 0, 0, 1, 1, 1, 1, 2, 2];
  const predicted = [0, 0, 1, 0, 1, 1, 2, 2, 2];
  const split = {
    ids: Int32Array.from(predicted.flatMap((p) => [p + 2, 5])),
    offsets: Int32Array.from({ length: labels.length + 1 }, (_, i) => 2 * i),
    labels: Int32Array.from(labels),
    size: labels.length,
  };
  const result = evaluate(tf, firstTokenModel, split, { batchSize: 4, maxLength: 8 });
  t.is(result.accuracy, 6 / 9);
  t.true(Math.abs(result.macroF1 - 214 / 315) < 1e-12, String(result.macroF1));
});

test('scored in batches sorted by length, results come back in the split\'s order', (t) => {
  // Review i: first token 2 + i % 3 (its predicted class), then i % 5 filler tokens.
  const reviews = Array.from({ length: 23 }, (_, i) => [2 + (i % 3), ...Array.from({ length: i % 5 }, () => 7)]);
  const split = {
    ids: Int32Array.from(reviews.flat()),
    offsets: Int32Array.from([0, ...reviews.map((_, i) => reviews.slice(0, i + 1).flat().length)]),
    labels: Int32Array.from(reviews, (_, i) => i % 3),
    size: reviews.length,
  };
  const result = evaluate(tf, firstTokenModel, split, { batchSize: 4, batchTokens: 6, maxLength: 8 });
  t.is(result.accuracy, 1);
  reviews.forEach((review, i) => {
    t.is(result.attention[i].length, review.length, `review ${i}`);
    t.true(result.probabilities[i * 3 + (i % 3)] > 0.9, `review ${i}`);
  });
});
