/**
 * Every differentiable tfjs op trains on wasm: kernels wasm lacks (the gradients of `tf.conv1d`
 * among them) run on cpu data, and a plugin built on `tf.conv1d` takes a training step on wasm.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { selectBackend } from '../../src/nn/backend.js';
import { buildExperiment, syntheticConfig, trainExperiment, writeConfig } from '../helpers/experiment.js';

test.serial('after wasm starts, every kernel with a gradient and every kernel its gradient can reach exists on wasm', async (t) => {
  const { tf, backend } = await selectBackend('wasm');
  t.is(backend, 'wasm');
  const onCpu = tf.getKernelsForBackend('cpu').map((kernel) => kernel.kernelName);
  const withGradient = onCpu.filter((name) => tf.getGradient(name) !== undefined);
  t.true(withGradient.includes('Conv2D'), 'the enumeration sees the gradients tfjs registers');
  // A gradient is written in tfjs ops: on cpu each dispatches to a cpu kernel, so wasm needs them all.
  t.deepEqual(onCpu.filter((name) => tf.getKernel(name, 'wasm') === undefined), []);
});

test.serial('tf.conv1d gradients on wasm equal those on cpu', async (t) => {
  const gradients = async (choice: 'wasm' | 'cpu'): Promise<number[][]> => {
    const { tf } = await selectBackend(choice);
    const x = tf.tensor3d([[[1, 2], [3, -1], [0, 4], [2, 2]]]);
    const filter = tf.tensor3d([[[0.5, -1], [1, 0]], [[0.25, 2], [-0.5, 1]]]);
    const grads = tf.grads((input, kernel) => tf.sum(tf.square(tf.conv1d(input as typeof x, kernel as typeof filter, 1, 'same'))))([x, filter]);
    const values = await Promise.all(grads.map(async (grad) => [...(await grad.data())]));
    tf.dispose([x, filter, ...grads]);
    return values;
  };
  const onCpu = await gradients('cpu');
  const onWasm = await gradients('wasm');
  t.deepEqual(onWasm.map((values) => values.map((value) => Math.round(value * 1e4))), onCpu.map((values) => values.map((value) => Math.round(value * 1e4))));
  t.true(onCpu.flat().some((value) => value !== 0));
});

const CONV_ENCODER = `const schema = { type: 'object', additionalProperties: false, properties: {
  width: { type: 'integer', minimum: 1, default: 3, description: 'Tokens each filter sees.' },
} } as const;
export default {
  kind: 'encoder', name: 'conv', description: 'One 1-D convolution over the tokens.', schema,
  create(params, { tf, nn, inputDim, seed }) {
    const filter = nn.glorot('conv/filter', [params.width, inputDim, 8], seed);
    return { variables: [filter], outputDim: 8, apply: (x, mask) => tf.mul(tf.relu(tf.conv1d(x, filter, 1, 'same')), tf.expandDims(mask, 2)) };
  },
};
`;

test.serial('a plugin using tf.conv1d trains one step on wasm', async (t) => {
  const folder = dirname(writeConfig('{}'));
  writeFileSync(join(folder, 'conv.ts'), CONV_ENCODER);
  const yaml = `plugins: [${join(folder, 'conv.ts')}]\nbackend: wasm\n${syntheticConfig('  encoder: { type: conv }\n  pooler: { type: fixed-query }')}`;
  const experiment = await buildExperiment(yaml, ['data.size=64', 'data.test_size=16', 'train.epochs=1', 'train.batch_size=32', 'train.max_length=16', 'embeddings.dim=8']);
  try {
    const [filter] = experiment.built.model.variables.filter((variable) => variable.name.includes('conv/filter'));
    const before = [...filter.dataSync()];
    const result = await trainExperiment(experiment);
    t.is(experiment.tf.getBackend(), 'wasm');
    t.true(Number.isFinite(result.epochs[0].trainLoss));
    t.notDeepEqual([...filter.dataSync()], before, 'the convolution filter was trained');
  } finally {
    experiment.built.dispose();
  }
});
