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
function userPlugin(kind: string, name: string, layer: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'attnlab-shapes-')), `${name}.ts`);
  writeFileSync(
    file,
    `export default { kind: '${kind}', name: '${name}', description: 'd', schema: { type: 'object', properties: {} },
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

for (const { title, kind, layer, call, message } of cases) {
  test(`${title}: a PluginError naming the file and the expected shape`, async (t) => {
    const file = userPlugin(kind, 'broken', layer);
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
