/**
 * `attnlab new plugin`: writes a working plugin of a given kind and its test into a folder of the
 * user's, importing attnlab by bare specifiers that attnlab resolves from any folder.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AttnlabError, closest, UsageError } from '../errors.js';
import { PLUGIN_KINDS, type PluginKind } from '../plugin-api.js';
import { PluginRegistry } from '../plugins/registry.js';
import { configSnippet } from './slots.js';
import { pluginSource, testSource, type TemplateImports } from './templates.js';

export interface NewPluginRequest {
  readonly kind: string;
  readonly name: string;
  /** Folder to write into; created when missing. */
  readonly dir: string;
}

export interface NewPluginResult {
  readonly kind: PluginKind;
  readonly pluginFile: string;
  readonly testFile: string;
  /** Config lines that load and select the plugin, for a config in `dir`. */
  readonly snippet: string;
}

const KEBAB_CASE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Validates the request and writes `<name>.ts` and `<name>.test.ts`; never overwrites a file. */
export async function writePluginSkeleton(request: NewPluginRequest): Promise<NewPluginResult> {
  const kind = checkKind(request.kind);
  const name = await checkName(kind, request.name);
  const dir = resolve(request.dir);
  const pluginFile = join(dir, `${name}.ts`);
  const testFile = join(dir, `${name}.test.ts`);
  for (const file of [pluginFile, testFile]) {
    if (existsSync(file)) throw new AttnlabError('file-exists', `${file} already exists; attnlab new does not overwrite files: choose another name or --dir`, { exitCode: 2 });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(pluginFile, pluginSource(kind, name, IMPORTS));
  writeFileSync(testFile, testSource(kind, name, IMPORTS));
  return { kind, pluginFile, testFile, snippet: configSnippet(kind, name, `./${name}.ts`) };
}

function checkKind(kind: string): PluginKind {
  if ((PLUGIN_KINDS as readonly string[]).includes(kind)) return kind as PluginKind;
  const suggestion = closest(kind, PLUGIN_KINDS);
  throw new UsageError(`unknown plugin kind "${kind}"; known: ${PLUGIN_KINDS.join(', ')}${suggestion ? ` — did you mean "${suggestion}"?` : ''}`);
}

async function checkName(kind: PluginKind, name: string): Promise<string> {
  if (!KEBAB_CASE.test(name)) {
    const kebab = toKebabCase(name);
    const suggestion = KEBAB_CASE.test(kebab) ? ` — did you mean "${kebab}"?` : '';
    throw new UsageError(`plugin name "${name}" is not kebab-case (lower-case words joined by "-", e.g. scaled-dot)${suggestion}`);
  }
  const builtins = (await PluginRegistry.create()).names(kind);
  if (builtins.includes(name)) {
    throw new UsageError(`${kind} "${name}" is a built-in plugin; a plugin of yours needs a name of its own (built-in ${kind}s: ${builtins.join(', ')})`);
  }
  return name;
}

function toKebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

/**
 * Bare specifiers: they resolve from an attnlab installed in node_modules, and elsewhere through
 * attnlab's own resolution (`attnlab run`, `attnlab test`, `attnlab check`), so the files work
 * unchanged in any folder.
 */
const IMPORTS: TemplateImports = { api: 'attnlab/src/plugin-api.js', tester: 'attnlab/src/scaffold/plugin-tester.js' };
