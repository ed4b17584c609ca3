import test from 'ava';
import { fileURLToPath } from 'node:url';
import { loadPluginKit } from '../../../src/scaffold/plugin-kit.js';
import { assertClose, maskedSoftmaxByHand, multiply } from './hand.js';

const plugin = (path: string): string => fileURLToPath(new URL(`../../../plugins/${path}`, import.meta.url));
const kit = await loadPluginKit('pooler', plugin('pooler/multi-head.ts'));

const tokens = [
  [[1, -1, 0], [0.5, 2, 1], [-3, 0.25, 2], [7, 7, 7]],
  [[0, 1, 0], [2, 0, -1], [5, 5, 5], [5, 5, 5]],
];
const mask = [
  [1, 1, 1, 0],
  [1, 1, 0, 0],
];

/** Head k's weights for text b: softmax over real tokens of (h·Q)_k, divided by √dim when scaled. */
function headWeightsByHand(queries: ArrayLike<number>, heads: number, scale: number): number[][][] {
  return tokens.map((text, b) => {
    const scores = multiply(text, queries, heads);
    return Array.from({ length: heads }, (_, k) => maskedSoftmaxByHand(scores.map((row) => row[k] * scale), mask[b]));
  });
}

test('the schema accepts the defaults and rejects an unknown key', async (t) => {
  t.deepEqual(await kit.params(), { heads: 4, combine: 'concat', scaled: true });
  await t.throwsAsync(kit.params({ head: 2 }), { message: /unknown key "head".*did you mean "heads"/ });
  await t.throwsAsync(kit.params({ combine: 'sum' }), { message: /allowed: concat, average/ });
});

test('it builds through the container from a YAML block and declares its heads when it concatenates', async (t) => {
  const concat = await kit.build('{ type: multi-head, heads: 3 }', { inputDim: 5 });
  t.deepEqual(concat.variables.map((variable) => variable.shape), [[5, 3]]);
  t.is(concat.heads, 3);
  const average = await kit.build('{ type: multi-head, heads: 3, combine: average }', { inputDim: 5 });
  t.is(average.heads, undefined);
});

test('concat returns [batch, heads, time] weights equal to per-head scaled softmaxes by hand', async (t) => {
  const { tf } = kit;
  const pooler = await kit.build('{ type: multi-head, heads: 2 }', { inputDim: 3 });
  const weights = pooler.attend(tf.tensor3d(tokens), tf.tensor2d(mask), false);
  t.deepEqual(weights.shape, [2, 2, 4]);
  const expected = headWeightsByHand(pooler.variables[0].dataSync(), 2, 1 / Math.sqrt(3));
  t.is(assertClose((weights.arraySync() as number[][][]).flat(2), expected.flat(2)), undefined);
});

test('average returns [batch, time]: the mean of the unscaled heads', async (t) => {
  const { tf } = kit;
  const pooler = await kit.build('{ type: multi-head, heads: 3, combine: average, scaled: false }', { inputDim: 3 });
  const weights = pooler.attend(tf.tensor3d(tokens), tf.tensor2d(mask), false);
  t.deepEqual(weights.shape, [2, 4]);
  const perHead = headWeightsByHand(pooler.variables[0].dataSync(), 3, 1);
  const expected = perHead.map((heads) => heads[0].map((_, i) => (heads[0][i] + heads[1][i] + heads[2][i]) / 3));
  t.is(assertClose((weights.arraySync() as number[][]).flat(), expected.flat()), undefined);
});

test('padding changes nothing: neither its values nor its length', async (t) => {
  const { tf } = kit;
  const pooler = await kit.build('{ type: multi-head, heads: 2 }', { inputDim: 3 });
  const real = tokens[1].slice(0, 2);
  const unpadded = pooler.attend(tf.tensor3d([real]), tf.tensor2d([[1, 1]]), false).arraySync() as number[][][];
  const padded = pooler.attend(tf.tensor3d([tokens[1]]), tf.tensor2d([mask[1]]), false).arraySync() as number[][][];
  t.is(assertClose(padded[0].flat(), unpadded[0].flatMap((head) => [...head, 0, 0])), undefined);
});

test('in the classifier, each head pools the values and the model reports every head’s attention', async (t) => {
  const { tf } = kit;
  const modelKit = await loadPluginKit('model', plugin('model/classifier.ts'));
  const embeddings = tf.tensor2d([[0, 0, 0], [0, 0, 0], [1, 0, 2], [0, 3, 1], [2, 2, 2]]);
  const model = await modelKit.build('{ type: classifier, pooler: { type: multi-head, heads: 3 } }', { embeddings, numClasses: 2 });
  const output = model.forward(tf.tensor2d([[2, 3, 4], [4, 2, 0]], undefined, 'int32'), tf.tensor2d([[1, 1, 1], [1, 1, 0]]), false);
  t.deepEqual(output.logits.shape, [2, 2]);
  t.deepEqual(output.headAttention?.shape, [2, 3, 3]);
  const mean = (output.headAttention!.arraySync() as number[][][]).map((heads) => heads[0].map((_, i) => heads.reduce((sum, head) => sum + head[i], 0) / 3));
  t.is(assertClose((output.attention.arraySync() as number[][]).flat(), mean.flat()), undefined);
});
