import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfigFile } from '../../src/config/validate.js';
import { ConfigError, PluginError } from '../../src/errors.js';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { buildPlugin, createContainer } from '../../src/plugins/container.js';

const { tf } = await selectBackend('cpu');

/** User plugins whose descriptors refuse some input sizes or declare a wrong one; each allocates a weight when built. */
const PLUGINS: Readonly<Record<string, string>> = {
  'sized-head.ts': `export default { kind: 'head', name: 'sized-head', description: 'A head for inputs of one size.',
    schema: { type: 'object', properties: { input_size: { type: 'integer', default: 8, description: 'The input size it takes.' } } },
    checkInputDim: (params: { input_size: number }, inputDim: number) => inputDim === params.input_size ? undefined : 'it takes ' + params.input_size + '; make the value transform give that',
    create: (_params: unknown, { nn, inputDim, numClasses }: any) => nn.mlp('head', [inputDim, numClasses], { activation: 'linear', seed: 0 }) };`,
  'split-heads.ts': `export default { kind: 'pooler', name: 'split-heads', description: 'Heads on slices of the input.',
    schema: { type: 'object', properties: { heads: { type: 'integer', default: 2, description: 'Heads, each on its own slice.' } } },
    heads: (params: { heads: number }) => params.heads,
    checkInputDim: (params: { heads: number }, inputDim: number) => inputDim % params.heads === 0 ? undefined : 'heads ' + params.heads + ' must divide it',
    create: (params: { heads: number }, { tf, nn, inputDim }: any) => ({ heads: params.heads, variables: [nn.zeros('pooler/q', [inputDim])],
      attend: (_h: any, mask: any) => tf.tile(tf.expandDims(tf.div(mask, tf.sum(mask, 1, true)), 1), [1, params.heads, 1]) }) };`,
  'nan-value.ts': `export default { kind: 'value', name: 'nan-value', description: 'Declares no size at all.',
    schema: { type: 'object', properties: {} }, outputDim: () => Number.NaN,
    create: (_params: unknown, { nn, inputDim }: any) => nn.mlp('value', [inputDim, inputDim], { activation: 'linear', seed: 0 }) };`,
  'zero-encoder.ts': `export default { kind: 'encoder', name: 'zero-encoder', description: 'Declares size 0.',
    schema: { type: 'object', properties: {} }, outputDim: () => 0,
    create: (_params: unknown, { nn, inputDim }: any) => ({ outputDim: 0, variables: [nn.zeros('encoder/w', [inputDim])], apply: (x: any) => x }) };`,
};

/** A config with the user plugins whose `model:` block is `model` (its lines, indented under `model:`). */
function writeConfig(model: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'attnlab-chain-'));
  for (const [name, source] of Object.entries(PLUGINS)) writeFileSync(join(dir, name), source);
  const file = join(dir, 'run.yaml');
  const plugins = Object.keys(PLUGINS).map((name) => `  - ./${name}`);
  writeFileSync(file, ['embeddings: { type: random, dim: 8 }', 'plugins:', ...plugins, 'model:', ...model.map((line) => `  ${line}`), ''].join('\n'));
  return file;
}

const LSTM = 'encoder: { type: lstm, state_size: 5, bidirectional: true }';

/** Each row's `line` is the config line of the block at fault: 1 + 1 + plugins + 1 + its index under `model:`. */
const FIRST_MODEL_LINE = 3 + Object.keys(PLUGINS).length + 1;

const invalid = [
  {
    title: 'a value transform whose size the head cannot take',
    model: [LSTM, 'value: { type: linear, dim: 6 }', 'head: { type: sized-head, input_size: 8 }'],
    code: 'plugin-input-size',
    path: 'model.head',
    at: 2,
    message: /head "sized-head" cannot take input size 6: it takes 8; make the value transform give that/,
  },
  {
    title: 'heads that do not divide the encoder size',
    model: [LSTM, 'pooler: { type: split-heads, heads: 4 }'],
    code: 'plugin-input-size',
    path: 'model.pooler',
    at: 1,
    message: /pooler "split-heads" cannot take input size 10: heads 4 must divide it/,
  },
  {
    title: 'several heads whose concatenation the head cannot take',
    model: [LSTM, 'pooler: { type: split-heads, heads: 2 }', 'head: { type: sized-head, input_size: 10 }'],
    code: 'plugin-input-size',
    path: 'model.head',
    at: 2,
    message: /head "sized-head" cannot take input size 20: it takes 10/,
  },
  {
    title: 'a user value transform declaring NaN',
    model: [LSTM, 'value: { type: nan-value }'],
    code: 'plugin-declared-size',
    path: 'model.value',
    at: 1,
    message: /value "nan-value" declares outputDim NaN for input size 10; expected a positive integer/,
  },
  {
    title: 'a user encoder declaring size 0',
    model: ['encoder: { type: zero-encoder }'],
    code: 'plugin-declared-size',
    path: 'model.encoder',
    at: 0,
    message: /encoder "zero-encoder" declares outputDim 0 for input size 8; expected a positive integer/,
  },
] as const;

const allocated = () => ({ tensors: tf.memory().numTensors, variables: Object.keys(tf.engine().registeredVariables).length });

for (const { title, model, code, path, at, message } of invalid) {
  test.serial(`${title}: ${code} at the block's file, line and key, before any weight exists`, async (t) => {
    const file = writeConfig(model);
    const { config, container } = await resolveConfigFile(file);
    const embeddings = tf.zeros([4, 8]) as never;
    const before = allocated();
    const context = { tf, nn: createNnOps(tf), seed: 0, embeddings, numClasses: 2 };
    const error = await t.throwsAsync(buildPlugin(container, 'model', config.model, context), { instanceOf: ConfigError, message });
    t.deepEqual(allocated(), before);
    t.is(error?.code, code);
    t.is(error?.problems[0]?.path, path);
    t.deepEqual(error?.problems[0]?.location, { file, line: FIRST_MODEL_LINE + at, column: 3 });
    t.true(error?.message.startsWith(`${file}:${FIRST_MODEL_LINE + at}:3: ${path}: `));
    tf.dispose(embeddings);
  });
}

test.serial('a chain that fits builds, and the sizes the dry pass saw are the built ones', async (t) => {
  const file = writeConfig([LSTM, 'pooler: { type: split-heads, heads: 2 }', 'value: { type: linear, dim: 4 }', 'head: { type: sized-head, input_size: 8 }']);
  const { config, container } = await resolveConfigFile(file);
  const embeddings = tf.zeros([4, 8]) as never;
  const model = await buildPlugin(container, 'model', config.model, { tf, nn: createNnOps(tf), seed: 0, embeddings, numClasses: 2 });
  const output = model.forward(tf.tensor2d([[1, 2, 0]], [1, 3], 'int32'), tf.tensor2d([[1, 1, 0]], [1, 3]), false);
  t.deepEqual(output.logits.shape, [1, 2]);
  tf.dispose([...model.variables, embeddings]);
});

test.serial('a block built without a config (a programmatic build) names the plugin file instead', async (t) => {
  const container = await createContainer([join(writeConfig([]), '..', 'split-heads.ts')]);
  const context = { tf, nn: createNnOps(tf), seed: 0, inputDim: 6 } as never;
  const error = await t.throwsAsync(buildPlugin(container, 'pooler', { type: 'split-heads', heads: 4 }, context), { instanceOf: PluginError });
  t.is(error?.code, 'plugin-input-size');
  t.regex(error?.message ?? '', /split-heads\.ts: pooler "split-heads" cannot take input size 6: heads 4 must divide it$/);
});
