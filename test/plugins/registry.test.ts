import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../src/errors.js';
import { PluginRegistry } from '../../src/plugins/registry.js';
import { buildPlugin, createContainer } from '../../src/plugins/container.js';

const poolerSource = (name: string, extra = '') => `
const schema = { type: 'object', additionalProperties: false, properties: { scale: { type: 'number', default: 2, description: 'x' } } } as const;
export default {
  kind: 'pooler',
  name: '${name}',
  description: 'test pooler',
  schema,
  create(params: { scale: number }) { ${extra} return { variables: [], attend: () => { throw new Error('unused'); }, scale: params.scale }; },
};
`;

function pluginTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'attnlab-plugins-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

test('built-ins are found by their file, without importing them', async (t) => {
  const root = pluginTree({ 'pooler/scaled.ts': 'throw new Error("imported too early");', 'encoder/readme.md': '' });
  const registry = await PluginRegistry.create([], root);
  t.deepEqual(registry.names('pooler'), ['scaled']);
  t.deepEqual(registry.names('encoder'), []);
  await t.throwsAsync(registry.get('pooler', 'scaled')!.load(), { message: /imported too early/ });
});

test('a TypeScript plugin from a user folder builds through the container', async (t) => {
  const root = pluginTree({ 'pooler/.keep': '' });
  const user = pluginTree({ 'my-pooler.ts': poolerSource('my-pooler') });
  const container = await createContainer([join(user, 'my-pooler.ts')], root);
  const pooler = (await buildPlugin(container, 'pooler', { type: 'my-pooler', scale: 5 }, {} as never)) as unknown as { scale: number };
  t.is(pooler.scale, 5);
});

test('two plugins with the same kind and name: an error naming both files', async (t) => {
  const root = pluginTree({ 'pooler/twin.ts': poolerSource('twin') });
  const user = pluginTree({ 'twin.ts': poolerSource('twin') });
  const error = await t.throwsAsync(PluginRegistry.create([join(user, 'twin.ts')], root), { instanceOf: PluginError });
  t.true(error!.message.includes(join(user, 'twin.ts')));
  t.true(error!.message.includes(join(root, 'pooler/twin.ts')));
});

test('a descriptor that breaks the contract names its file and what was expected', async (t) => {
  const user = pluginTree({
    'no-schema.ts': `export default { kind: 'pooler', name: 'no-schema', description: 'd', create() {} };`,
    'bad-kind.ts': `export default { kind: 'attention', name: 'x', description: 'd', schema: { type: 'object' }, create() {} };`,
  });
  const empty = pluginTree({ 'pooler/.keep': '' });
  await t.throwsAsync(PluginRegistry.create([join(user, 'no-schema.ts')], empty), { message: /no-schema\.ts: expected "schema"/ });
  await t.throwsAsync(PluginRegistry.create([join(user, 'bad-kind.ts')], empty), { message: /bad-kind\.ts: expected "kind" to be one of/ });
});

test('a built-in whose declared name differs from its file name is refused', async (t) => {
  const root = pluginTree({ 'pooler/right.ts': poolerSource('wrong') });
  const registry = await PluginRegistry.create([], root);
  await t.throwsAsync(registry.get('pooler', 'right')!.load(), { message: /declares pooler "wrong" but its place says pooler "right"/ });
});

test('a factory that throws is reported with the plugin file', async (t) => {
  const root = pluginTree({ 'pooler/fragile.ts': poolerSource('fragile', "throw new Error('no GPU here');") });
  const container = await createContainer([], root);
  await t.throwsAsync(buildPlugin(container, 'pooler', { type: 'fragile' }, {} as never), {
    instanceOf: PluginError,
    message: /pooler\/fragile\.ts: pooler "fragile" failed to build: no GPU here/,
  });
});

/** A user pooler whose params schema is `properties` (a TypeScript object literal's source). */
const poolerWithProperties = (name: string, properties: string) => `
export default {
  kind: 'pooler', name: '${name}', description: 'test pooler',
  schema: { type: 'object', additionalProperties: false, properties: ${properties} },
  create() { return { variables: [], attend: () => { throw new Error('unused'); } }; },
};
`;

const schemaRefusals = [
  { name: 'typo-minimum', properties: "{ scale: { type: 'number', minimun: 0, description: 'x' } }", message: /unknown schema keyword "minimun" — did you mean "minimum"\?/ },
  { name: 'typo-default', properties: "{ scale: { type: 'number', defualt: 1, description: 'x' } }", message: /schema\.properties\.scale: unknown schema keyword "defualt" — did you mean "default"\?/ },
  { name: 'undescribed', properties: "{ scale: { type: 'number', default: 1 } }", message: /schema\.properties\.scale has no "description"/ },
  { name: 'nested-undescribed', properties: "{ sizes: { type: 'array', description: 'x', items: { type: 'object', properties: { n: { type: 'integer' } } } } }", message: /schema\.properties\.sizes\.items\.properties\.n has no "description"/ },
  { name: 'bad-type', properties: "{ scale: { type: 'nmber', description: 'x' } }", message: /not a valid JSON Schema: schema is invalid: data\/properties\/scale\/type/ },
  { name: 'bad-minimum', properties: "{ scale: { type: 'number', minimum: 'zero', description: 'x' } }", message: /not a valid JSON Schema: .*minimum must be number/ },
] as const;

for (const { name, properties, message } of schemaRefusals) {
  test(`plugin-schema: a schema with ${name} is refused at load, naming the plugin file`, async (t) => {
    const user = pluginTree({ [`${name}.ts`]: poolerWithProperties(name, properties) });
    const file = join(user, `${name}.ts`);
    const error = await t.throwsAsync(PluginRegistry.create([file], pluginTree({ 'pooler/.keep': '' })), { instanceOf: PluginError, message });
    t.is(error?.code, 'plugin-schema');
    t.is(error?.file, file);
    t.true(error?.message.startsWith(`${file}: `));
  });
}

test('a well-formed schema with every property described loads', async (t) => {
  const user = pluginTree({ 'fine.ts': poolerWithProperties('fine', "{ scale: { type: 'number', minimum: 0, default: 1, description: 'x' }, sizes: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [2], description: 'y' } }") });
  const registry = await PluginRegistry.create([join(user, 'fine.ts')], pluginTree({ 'pooler/.keep': '' }));
  t.deepEqual(registry.names('pooler'), ['fine']);
});
