/**
 * What a plugin's own tests need, for plugin files inside or outside attnlab: the plugin loaded as
 * a run loads it, its params checked against its schema, the plugin built through the container
 * from a YAML block, and tfjs with attnlab's tensor ops on the deterministic cpu backend.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Container } from 'inversify';
import { parse, stringify } from 'yaml';
import { resolveConfigFile } from '../config/validate.js';
import { PluginError } from '../errors.js';
import { selectBackend } from '../nn/backend.js';
import { createNnOps } from '../nn/ops.js';
import type { AnyPlugin, ContextOf, CoreProvidedContext, Created, ExtraContext, NnOps, PluginBlock, PluginKind, Tf } from '../plugin-api.js';
import { buildPlugin } from '../plugins/container.js';
import { createModelProbe, type ModelProbe } from '../run/model-probe.js';
import { BUILTIN_PLUGIN_DIR, importPlugin } from '../plugins/registry.js';
import { placeInSlot, slotPath } from './slots.js';

export interface PluginKit<K extends PluginKind> {
  readonly tf: Tf;
  readonly nn: NnOps;
  /** How the report sees inside what `build` builds (a model's input gradient, its poolers' attention replaced). */
  readonly probe: ModelProbe;
  readonly plugin: AnyPlugin;
  /**
   * The params a config block `{ type: <name>, ...given }` resolves to: validated against the
   * plugin's schema, defaults filled, `type` left out. Throws ConfigError listing every problem.
   */
  params(given?: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  /**
   * Builds the plugin from a YAML block such as `{ type: scaled-dot, temperature: 2 }`, validated
   * as a run config's block and created through the container, with seed 0 unless `context` says.
   */
  build(yamlBlock: string, context: ExtraContext[K] & { readonly seed?: number }): Promise<Created[K]>;
}

/** Loads the `kind` plugin of `file` (a .ts or .js path) for its tests. */
export async function loadPluginKit<K extends PluginKind>(kind: K, file: string): Promise<PluginKit<K>> {
  const path = resolve(file);
  const plugin = await importPlugin(path);
  if (plugin.kind !== kind) throw new PluginError('plugin-contract', path, `expected a ${kind} plugin, found kind "${plugin.kind}"`);
  const { tf } = await selectBackend('cpu');
  const probe = createModelProbe(tf, createNnOps(tf, { variableName: uniqueVariableName(tf) }));
  const { nn } = probe;
  // A built-in is already known to the registry; naming it again under `plugins:` would clash.
  const userPlugins = path.startsWith(BUILTIN_PLUGIN_DIR) ? [] : [path];
  const resolveBlock = (block: unknown) => resolveInConfig(kind, plugin.name, block, userPlugins);
  return {
    tf,
    nn,
    probe,
    plugin,
    async params(given = {}) {
      const { block } = await resolveBlock({ type: plugin.name, ...given });
      const { type: _type, ...params } = block;
      return params;
    },
    async build(yamlBlock, context) {
      const { block, container } = await resolveBlock(parse(yamlBlock));
      const full = { tf, nn, seed: 0, ...context } as unknown as Omit<ContextOf[K], 'build' | CoreProvidedContext>;
      return buildPlugin(container, kind, block, full, probe.wrap);
    },
  };
}

/**
 * A variable name already taken gets a suffix (`_1`, `_2`, …): tfjs names variables
 * process-wide, and tests build the same plugin many times in one process.
 */
function uniqueVariableName(tf: Tf): (name: string) => string {
  return (name) => {
    const taken = tf.engine().registeredVariables;
    let candidate = name;
    for (let count = 1; candidate in taken; count++) candidate = `${name}_${count}`;
    return candidate;
  };
}

/** Validates `block` at its slot in an otherwise default run config, as `attnlab run` would. */
async function resolveInConfig(
  kind: PluginKind,
  name: string,
  block: unknown,
  userPlugins: readonly string[],
): Promise<{ block: PluginBlock; container: Container }> {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-plugin-kit-'));
  try {
    const file = join(folder, `${name}.yaml`);
    writeFileSync(file, stringify({ plugins: userPlugins, ...placeInSlot(kind, name, block) }));
    const { config, container } = await resolveConfigFile(file);
    const resolved = slotPath(kind, name).reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], config);
    return { block: resolved as PluginBlock, container };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
