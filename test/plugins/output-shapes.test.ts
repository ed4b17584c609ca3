import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../src/errors.js';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { buildPlugin, createContainer } from '../../src/plugins/container.js';

const { tf } = await selectBackend('cpu');
const nn = createNnOps(tf);

/** A user plugin file of `kind` whose layer is `layer` (source of an object literal using ctx). */
function userPlugin(kind: string, name: string, layer: string, declare = ''): string {
  const file = join(mkdtempSync(join(tmpdir(), 'attnlab-shapes-')), `${name}.ts`);
  writeFileSync(
    file,
    `export default { kind: '${kind}', name: '${name}', description: 'd', schema: { type: 'object', properties: {} },${declare}
       create(_params: unknown, { tf }: any) { return ${layer}; } };`,
  );
  return file;
}

const h = tf.zeros([2, 3, 4]) as never;
const mask = tf.ones([2, 3]) as never;

const cases = [
  {
    title: 'a pooler returning [batch, time, 1]',
    kind: 'pooler',
    layer: `{ variables: [], attend: (h: any) => tf.ones([h.shape[0], h.shape[1], 1]) }`,
    call: (layer: any) => layer.attend(h, mask, false),
    message: /pooler attend\(\) returned shape \[2, 3, 1\]; expected \[batch, time\] = \[2, 3\]/,
  },
  {
    title: 'a pooler returning several heads without declaring them',
    kind: 'pooler',
    layer: `{ variables: [], attend: (h: any) => tf.ones([h.shape[0], 2, h.shape[1]]) }`,
    call: (layer: any) => layer.attend(h, mask, false),
    message: /returned shape \[2, 2, 3\]; expected \[batch, time\] = \[2, 3\] \(a pooler with several heads .* declares "heads"\)/,
  },
  {
    title: 'a pooler declaring 4 heads and returning 2',
    kind: 'pooler',
    layer: `{ variables: [], heads: 4, attend: (h: any) => tf.ones([h.shape[0], 2, h.shape[1]]) }`,
    declare: ' heads: () => 4,',
    call: (layer: any) => layer.attend(h, mask, false),
    message: /expected \[batch, heads, time\] = \[2, 4, 3\] \(it declares heads: 4\)/,
  },
  {
    title: 'an encoder whose output is not its declared outputDim',
    kind: 'encoder',
    layer: `{ variables: [], outputDim: 8, apply: (x: any) => x }`,
    call: (layer: any) => layer.apply(h, mask, false),
    message: /encoder apply\(\) returned shape \[2, 3, 4\]; expected \[batch, time, outputDim\] = \[2, 3, 8\]/,
  },
] as const;

for (const { title, kind, layer, call, message, ...rest } of cases) {
  test(`${title}: a PluginError naming the file and the expected shape`, async (t) => {
    const file = userPlugin(kind, 'broken', layer, 'declare' in rest ? rest.declare : '');
    const container = await createContainer([file]);
    const built = await buildPlugin(container, kind, { type: 'broken' }, { tf, nn, seed: 0, inputDim: 4 } as never);
    const error = t.throws(() => call(built), { instanceOf: PluginError, message });
    t.is(error?.code, 'plugin-output-shape');
    t.true(error?.message.startsWith(`${file}: `));
  });
}

test('a layer of the right shapes is untouched: same members, same results, checked once', async (t) => {
  const file = userPlugin('pooler', 'uniform', `{ variables: ['v'], calls: 0, attend(h: any, mask: any) { this.calls++; return tf.div(mask, tf.sum(mask, 1, true)); } }`);
  const container = await createContainer([file]);
  const pooler = (await buildPlugin(container, 'pooler', { type: 'uniform' }, { tf, nn, seed: 0, inputDim: 4 } as never)) as never as {
    variables: string[];
    calls: number;
    attend(h: unknown, mask: unknown, training: boolean): { arraySync(): number[][] };
  };
  t.deepEqual(pooler.variables, ['v']);
  t.deepEqual(pooler.attend(h, mask, false).arraySync(), [0, 1].map(() => [0, 1, 2].map(() => Math.fround(1 / 3))));
  pooler.attend(h, mask, false);
  t.is(pooler.calls, 2);
});

/** A user plugin whose descriptor declares its size (`declare`: descriptor members) and whose factory allocates `<name>/w`. */
function declaringPlugin(kind: string, name: string, declare: string, layer: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'attnlab-declared-')), `${name}.ts`);
  writeFileSync(
    file,
    `export default { kind: '${kind}', name: '${name}', description: 'd', schema: { type: 'object', properties: {} }, ${declare},
       create(_params: unknown, { nn }: any) { const w = nn.zeros('${name}/w', [1]); return { variables: [w], ...${layer} }; } };`,
  );
  return file;
}

const declaredCases = [
  {
    title: 'an encoder declaring outputDim 0',
    kind: 'encoder',
    declare: 'outputDim: () => 0',
    layer: '{ outputDim: 0, apply: (x: any) => x }',
    allocates: false,
    message: /encoder "declares-0" declares outputDim 0 for input size 4; expected a positive integer/,
  },
  {
    title: 'a value transform built with another outputDim than it declares',
    kind: 'value',
    declare: 'outputDim: (_p: unknown, inputDim: number) => 2 * inputDim',
    layer: '{ outputDim: 4, apply: (x: any) => x }',
    allocates: true,
    message: /value built with outputDim 4, but its descriptor declares outputDim\(\) = 8/,
  },
  {
    title: 'a pooler built with one head declaring two',
    kind: 'pooler',
    declare: 'heads: () => 2',
    layer: '{ attend: (_h: any, mask: any) => mask }',
    allocates: true,
    message: /pooler built with heads undefined, but its descriptor declares heads\(\) = 2/,
  },
  {
    title: 'a pooler built with two heads its descriptor does not declare',
    kind: 'pooler',
    declare: 'checkInputDim: () => undefined',
    layer: '{ heads: 2, attend: (_h: any, mask: any) => mask }',
    allocates: true,
    message: /pooler built with heads 2, but its descriptor declares one head \(no heads\(\), or heads\(\) undefined\)/,
  },
] as const;

for (const [index, { title, kind, declare, layer, allocates, message }] of declaredCases.entries()) {
  test(`${title}: a PluginError naming the file${allocates ? '' : ', before anything is allocated'}`, async (t) => {
    const name = index === 0 ? 'declares-0' : `declares-${index}`;
    const file = declaringPlugin(kind, name, declare, layer);
    const container = await createContainer([file]);
    const error = await t.throwsAsync(buildPlugin(container, kind, { type: name }, { tf, nn, seed: 0, inputDim: 4 } as never), { instanceOf: PluginError, message });
    t.is(error?.code, 'plugin-declared-size');
    t.true(error?.message.startsWith(`${file}: `));
    t.is(`${name}/w` in tf.engine().registeredVariables, allocates);
  });
}

test('every built-in encoder, value transform and multi-head pooler declares the size it builds', async (t) => {
  const container = await createContainer();
  const context = { tf, nn: createNnOps(tf, { variableName: (name) => `declared-builtins/${name}` }), seed: 0, inputDim: 6 } as never;
  const blocks = [
    ['encoder', { type: 'lstm', state_size: 3, layers: 1, bidirectional: true, dropout: 0 }],
    ['encoder', { type: 'gru', state_size: 5, layers: 2, bidirectional: false, dropout: 0 }],
    ['encoder', { type: 'none' }],
    ['value', { type: 'mlp', hidden_layers: [4], dim: 2, activation: 'tanh' }],
    ['value', { type: 'linear', activation: 'linear' }],
    ['value', { type: 'identity' }],
    ['pooler', { type: 'multi-head', heads: 3, combine: 'concat', scaled: true }],
  ] as const;
  for (const [kind, block] of blocks) {
    const descriptor = (await import(`../../plugins/${kind}/${block.type}.ts`)).default;
    t.truthy(descriptor.outputDim ?? descriptor.heads, `${kind} ${block.type} declares nothing`);
    const built = await buildPlugin(container, kind, block, context);
    tf.dispose(built.variables as never);
  }
});
