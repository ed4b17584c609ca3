/** Checks that a module's default export keeps the plugin contract, naming the file when not. */
import { PluginError } from '../errors.js';
import { PLUGIN_KINDS, type AnyPlugin, type PluginKind } from '../plugin-api.js';
import { resolveSchema } from './fields.js';
import { checkPluginSchema } from './schema-check.js';

/** Checks the default export of `module` (a module namespace) and returns it as a plugin. */
export function checkDescriptor(module: Readonly<Record<string, unknown>>, file: string, expected?: { kind: PluginKind; name: string }): AnyPlugin {
  const fail = (message: string): never => {
    throw new PluginError('plugin-contract', file, message);
  };
  const value = module.default;
  const whyNot = notADescriptor(module);
  if (whyNot) return fail(whyNot);
  const plugin = value as Record<string, unknown>;
  if (typeof plugin.kind !== 'string' || !(PLUGIN_KINDS as readonly string[]).includes(plugin.kind)) {
    fail(`expected "kind" to be one of ${PLUGIN_KINDS.join(', ')}, found ${JSON.stringify(plugin.kind)}`);
  }
  if (typeof plugin.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(plugin.name)) {
    fail(`expected "name" in kebab-case (e.g. "scaled-dot"), found ${JSON.stringify(plugin.name)}`);
  }
  if (typeof plugin.description !== 'string' || plugin.description === '') fail('expected a one-line "description"');
  const schema = resolveSchema(plugin.schema) as Record<string, unknown> | undefined;
  if (typeof schema !== 'object' || schema === null || schema.type !== 'object') {
    fail('expected "schema": a JSON Schema of type "object" describing the params');
  }
  checkPluginSchema(schema, file);
  if (typeof plugin.create !== 'function') fail('expected "create(params, ctx)", the factory');
  if (expected && (plugin.kind !== expected.kind || plugin.name !== expected.name)) {
    fail(`declares ${String(plugin.kind)} "${String(plugin.name)}" but its place says ${expected.kind} "${expected.name}" (plugins/<kind>/<name>.ts)`);
  }
  return { ...plugin, schema } as unknown as AnyPlugin;
}

const SHAPE = '`export default { kind, name, description, schema, create }`';

/** Why the module's default export cannot be a descriptor at all, or undefined when it may be one. */
function notADescriptor(module: Readonly<Record<string, unknown>>): string | undefined {
  const value = module.default;
  if (value === undefined) {
    const names = Object.keys(module);
    return `the module has no default export${names.length > 0 ? ` (it exports ${names.join(', ')})` : ''}; a plugin file ends with ${SHAPE}`;
  }
  if (typeof value !== 'object' || value === null) return `expected a default export ${SHAPE}, found ${typeof value}`;
  // A module compiled to CommonJS puts its `export default` one level down (`exports.default`).
  const inner = value as Record<string, unknown>;
  if (inner.kind === undefined && typeof inner.default === 'object' && inner.default !== null) {
    return `the default export is a CommonJS module object (its descriptor sits under ".default"): the file was compiled or written as CommonJS; write it as an ES module with ${SHAPE}`;
  }
  return undefined;
}
