/**
 * Finds plugins: the built-ins by their file (`plugins/<kind>/<name>.ts`, no hand-kept list) and
 * the user's by the paths a config names. Modules are imported only when a config uses them or
 * when everything is listed, so start-up stays fast.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PluginError } from '../errors.js';
import { PLUGIN_KINDS, type AnyPlugin, type PluginKind } from '../plugin-api.js';
import { checkDescriptor } from './descriptor.js';
import { guardedImport } from './import-guard.js';
import { importAsModule } from './module-format.js';

/** A plugin the registry knows, loaded on first use. */
export interface PluginEntry {
  readonly kind: PluginKind;
  readonly name: string;
  readonly file: string;
  load(): Promise<AnyPlugin>;
}

/** `plugins/` beside `src/` — in the source tree or in the build output alike. */
export const BUILTIN_PLUGIN_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);

export class PluginRegistry {
  private readonly entries = new Map<PluginKind, Map<string, PluginEntry>>(PLUGIN_KINDS.map((kind) => [kind, new Map()]));

  /** Built-in plugins from `directory`, then the user's plugin files (absolute paths). */
  static async create(userPluginFiles: readonly string[] = [], directory = BUILTIN_PLUGIN_DIR): Promise<PluginRegistry> {
    const registry = new PluginRegistry();
    for (const entry of discoverBuiltins(directory)) registry.add(entry);
    for (const file of userPluginFiles) {
      const plugin = await importPlugin(file);
      registry.add({ kind: plugin.kind, name: plugin.name, file, load: async () => plugin });
    }
    return registry;
  }

  private add(entry: PluginEntry): void {
    const byName = this.entries.get(entry.kind);
    if (!byName) throw new PluginError('plugin-kind', entry.file, `unknown plugin kind "${entry.kind}"; known: ${PLUGIN_KINDS.join(', ')}`);
    const existing = byName.get(entry.name);
    if (existing) {
      throw new PluginError(
        'plugin-duplicate',
        entry.file,
        `${entry.kind} plugin "${entry.name}" is also defined by ${existing.file}; rename one of them`,
      );
    }
    byName.set(entry.name, entry);
  }

  get(kind: PluginKind, name: string): PluginEntry | undefined {
    return this.entries.get(kind)?.get(name);
  }

  names(kind: PluginKind): string[] {
    return [...(this.entries.get(kind)?.keys() ?? [])].sort();
  }

  list(kind?: PluginKind): PluginEntry[] {
    const kinds = kind ? [kind] : PLUGIN_KINDS;
    return kinds.flatMap((each) => this.names(each).map((name) => this.get(each, name) as PluginEntry));
  }
}

function discoverBuiltins(directory: string): PluginEntry[] {
  const entries: PluginEntry[] = [];
  for (const kind of PLUGIN_KINDS) {
    const kindDirectory = join(directory, kind);
    if (!existsSync(kindDirectory)) continue;
    for (const fileName of readdirSync(kindDirectory)) {
      const extension = extname(fileName);
      if (!MODULE_EXTENSIONS.has(extension) || fileName.endsWith('.d.ts')) continue;
      const file = join(kindDirectory, fileName);
      const name = basename(fileName, extension);
      let loaded: Promise<AnyPlugin> | undefined;
      entries.push({
        kind,
        name,
        file,
        load: () => (loaded ??= importPlugin(file, { kind, name })),
      });
    }
  }
  return entries;
}

/** Imports a plugin module (TypeScript included, no build step) and checks its descriptor. */
export async function importPlugin(file: string, expected?: { kind: PluginKind; name: string }): Promise<AnyPlugin> {
  if (!existsSync(file)) throw new PluginError('plugin-missing', file, 'plugin file not found');
  let module: Record<string, unknown>;
  try {
    // The built-ins sit in attnlab's own ES-module package; only a user's file needs its format forced.
    module = await guardedImport(() => (file.startsWith(BUILTIN_PLUGIN_DIR) ? import(pathToFileURL(file).href) : importAsModule(file)));
  } catch (error) {
    throw new PluginError('plugin-import', file, `cannot load the plugin: ${(error as Error).message}`, error);
  }
  return checkDescriptor(module, file, expected);
}

