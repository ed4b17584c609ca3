import test from 'ava';
import { fileURLToPath } from 'node:url';
import { loadPluginKit } from '../../../src/scaffold/plugin-kit.js';
import { assertClose, maskedSoftmaxByHand, multiply } from './hand.js';

const kit = await loadPluginKit('pooler', fileURLToPath(new URL('../../../plugins/pooler/additive.ts', import.meta.url)));

test('the schema accepts the defaults and rejects an unknown key', async (t) => {
  t.deepEqual(await kit.params(), { units: 64 });
  await t.throwsAsync(kit.params({ unit: 8 }), { message: /unknown key "unit".*did you mean "units"/ });
  await t.throwsAsync(kit.params({ units: 0 }), { message: /units: 0 is out of range/ });
});

test('it builds through the container from a YAML block', async (t) => {
  const pooler = await kit.build('{ type: additive, units: 5 }', { inputDim: 3 });
  t.deepEqual(
    pooler.variables.map((variable) => variable.shape),
    [[3, 5], [3, 5], [1, 3], [5, 1]],
  );
  t.is(pooler.heads, undefined);
});

test('a forward pass matches wᵀ tanh(W·h_i + U·q) and a softmax over the real tokens, by hand', async (t) => {
  const { tf } = kit;
  const pooler = await kit.build('{ type: additive, units: 2 }', { inputDim: 2 });
  const [keyKernel, queryKernel, query, scorer] = pooler.variables.map((variable) => variable.dataSync());
  const tokens = [[1, -1], [0.5, 2], [-3, 0.25]];
  const mask = [1, 1, 0];
  const queryTerm = multiply([Array.from(query)], queryKernel, 2)[0];
  const scores = multiply(tokens, keyKernel, 2).map((row) => row.reduce((sum, value, j) => sum + scorer[j] * Math.tanh(value + queryTerm[j]), 0));
  const weights = pooler.attend(tf.tensor3d([tokens]), tf.tensor2d([mask]), false).arraySync() as number[][];
  t.is(assertClose(weights[0], maskedSoftmaxByHand(scores, mask)), undefined);
});

test('padding changes nothing: neither its values nor its length', async (t) => {
  const { tf } = kit;
  const pooler = await kit.build('{ type: additive, units: 4 }', { inputDim: 3 });
  const real = [[0.1, 0.2, 0.3], [1, -1, 0.5]];
  const unpadded = pooler.attend(tf.tensor3d([real]), tf.tensor2d([[1, 1]]), false).arraySync() as number[][];
  const padded = pooler.attend(tf.tensor3d([[...real, [9, -9, 9], [4, 4, 4]]]), tf.tensor2d([[1, 1, 0, 0]]), false).arraySync() as number[][];
  t.is(assertClose(padded[0], [...unpadded[0], 0, 0]), undefined);
});
