/**
 * What a plugin author writes against: ctx.nn.variable and the typed ctx.nn.customGradient, and
 * tfjs types imported from 'attnlab', type-checked by `attnlab check` outside the package.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { typeCheckPlugins } from '../../src/scaffold/type-check.js';

test.serial('nn.variable starts at the chosen value; nn.customGradient uses the backward it is given', async (t) => {
  const { tf } = await selectBackend('cpu');
  const nn = createNnOps(tf);
  const temperature = nn.variable('authoring-test/temperature', [2, 0.5]);
  t.deepEqual([...temperature.dataSync()], [2, 0.5]);
  t.true(temperature.trainable);
  // value x·y, with a deliberately unusual backward: d/dx = 3·dy, d/dy = −dy.
  const op = nn.customGradient((x: typeof temperature, y: typeof temperature) => ({ value: tf.mul(x, y), gradient: (dy) => [tf.mul(dy, 3), tf.neg(dy)] as const }));
  const [dx, dy] = tf.grads((x, y) => tf.sum(op(x as typeof temperature, y as typeof temperature)))([tf.tensor1d([1, 2]), tf.tensor1d([5, 7])]);
  t.deepEqual([...dx.dataSync()], [3, 3]);
  t.deepEqual([...dy.dataSync()], [-1, -1]);
  temperature.dispose();
});

const PLUGIN = (attend: string): string => `import type { PluginDescriptor, Tensor2D, Tensor3D } from 'attnlab';
const schema = { type: 'object', additionalProperties: false, properties: {} } as const;
export default {
  kind: 'pooler', name: 'learned-temperature', description: 'Dot-product attention with a learned temperature.', schema,
  create(_params, { tf, nn, inputDim, seed }) {
    const query = nn.glorot('learned-temperature/query', [inputDim, 1], seed);
    const temperature = nn.variable('learned-temperature/t', [1]);
    const scale = nn.customGradient((scores: Tensor2D) => ({ value: tf.mul(scores, 2) as Tensor2D, gradient: (dy: Tensor2D) => [tf.mul(dy, 2)] as const }));
    return { variables: [query, temperature], attend: (h: Tensor3D, mask: Tensor2D) => ${attend} };
  },
} satisfies PluginDescriptor<'pooler', typeof schema>;
`;

test('attnlab check resolves tfjs types from attnlab and types the custom gradient; a wrong type fails it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'attnlab-authoring-'));
  writeFileSync(join(dir, 'good.ts'), PLUGIN("nn.maskedSoftmax(scale(tf.div(tf.squeeze(nn.dense(h, query as Tensor2D), [2]), temperature) as Tensor2D), mask)"));
  writeFileSync(join(dir, 'bad.ts'), PLUGIN('nn.maskedSoftmax(scale(h), mask)'));
  t.is(await typeCheckPlugins([join(dir, 'good.ts')]), 0);
  t.is(await typeCheckPlugins([join(dir, 'bad.ts')]), 2);
});
