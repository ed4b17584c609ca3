/**
 * Turns a config file into one merged document: follows `extends` (relative to the file, deep
 * merge, lists replace), applies `--set` overrides, and keeps for every key where it was written.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { ConfigError, Problem, type SourceLocation } from '../errors.js';
import { userConfigSchema } from './schema.js';
import type { UserConfig } from './types.js';
import { FORBIDDEN_KEYS, joinPath, parseYaml, readYamlFile, type EntrySource, type SourceMap } from './yaml-source.js';

/** A config document as merged, not yet validated: only the keys the loader reads itself are typed, once checked. */
export type ConfigData = Record<string, unknown>;

// The loader reads `extends` and `plugins` itself: it checks them against the schema first (without
// filling defaults, which is the validator's work), and reads them as the UserConfig type says.
const shapeCheck = new Ajv({ strict: false });
const isExtends = shapeCheck.compile<NonNullable<UserConfig['extends']>>(userConfigSchema.properties.extends);
const isPluginList = shapeCheck.compile<NonNullable<UserConfig['plugins']>>(userConfigSchema.properties.plugins);

export interface LoadedConfig {
  /** Absolute path of the file the user named. */
  readonly file: string;
  readonly data: ConfigData;
  readonly sources: SourceMap;
  /**
   * Plugin blocks whose `type` an extending file or an override changed, with the params left over
   * from the previous type: those are kept only if the new plugin knows them. Every key written
   * with or after the new type (a later layer, a `--set`, a sweep axis) is checked as written.
   */
  readonly retyped: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A `--set key.path=value` override, value parsed as YAML. */
export interface Override {
  readonly path: string;
  readonly value: unknown;
  readonly text: string;
}

/** Shows paths relative to the working directory when they are inside it. */
export function displayPath(file: string): string {
  const relativePath = relative(process.cwd(), file);
  return relativePath.startsWith('..') || isAbsolute(relativePath) ? file : relativePath;
}

export function isPlainObject(value: unknown): value is ConfigData {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses `key.path=value` expressions; malformed ones are problems located at the override. */
export function parseOverrides(expressions: readonly string[]): Override[] {
  const problems: Problem[] = [];
  const overrides: Override[] = [];
  for (const text of expressions) {
    const location = { file: `--set ${text}` };
    const equals = text.indexOf('=');
    const path = equals < 0 ? '' : text.slice(0, equals).trim();
    const forbidden = path.split('.').find((segment) => FORBIDDEN_KEYS.has(segment));
    if (forbidden !== undefined) {
      problems.push(
        new Problem({
          code: 'forbidden-key',
          message: `the key "${forbidden}" is not allowed (it would reach the object prototype)`,
          location,
        }),
      );
      continue;
    }
    if (equals < 0 || path === '' || path.split('.').some((segment) => segment === '')) {
      problems.push(
        new Problem({
          code: 'override-syntax',
          message: `cannot read override "${text}"`,
          location,
          hint: 'write it as key.path=value, e.g. --set train.epochs=3',
        }),
      );
      continue;
    }
    const parsed = parseYaml(text.slice(equals + 1), location.file);
    if ('problems' in parsed) {
      for (const problem of parsed.problems) {
        const message = problem.code === 'yaml-syntax' ? `value is not valid YAML: ${problem.message.replace(/^YAML syntax error: /, '')}` : problem.message;
        problems.push(new Problem({ ...problem, code: problem.code === 'yaml-syntax' ? 'override-syntax' : problem.code, message, path, location }));
      }
      continue;
    }
    overrides.push({ path, value: parsed.data, text });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return overrides;
}

/** Loads `file` with its `extends` chain and applies `overrides`. Throws ConfigError listing every problem. */
export function loadConfig(file: string, overrides: readonly Override[] = []): LoadedConfig {
  const absolute = resolve(file);
  const state: MergeState = { sources: new Map(), retyped: new Map() };
  const data = loadLayer(absolute, [], state, undefined);
  applyOverrides(data, overrides, state);
  return { file: absolute, data, sources: state.sources, retyped: state.retyped };
}

/** The absolute paths of the plugin files a config lists under `plugins:`, its `extends` included. */
export function configPlugins(file: string): NonNullable<UserConfig['plugins']> {
  return listedPlugins(loadConfig(file).data);
}

/**
 * The plugin files `data` lists (absolute once loaded); none when `plugins:` is not a list of
 * paths, which the validator then reports.
 */
export function listedPlugins(data: ConfigData): NonNullable<UserConfig['plugins']> {
  return isPluginList(data.plugins) ? data.plugins : [];
}

interface MergeState {
  sources: SourceMap;
  retyped: Map<string, Set<string>>;
}

/** Loads one file: its `extends` parents first, then its own keys on top. */
function loadLayer(file: string, chain: readonly string[], state: MergeState, extendedFrom: SourceLocation | undefined): ConfigData {
  const display = displayPath(file);
  if (chain.includes(file)) {
    const cycle = [...chain, file].map(displayPath).join(' → ');
    throw new ConfigError([new Problem({ code: 'extends-cycle', message: `extends cycle: ${cycle}`, path: 'extends', location: extendedFrom })]);
  }
  const parsed = readYamlFile(file);
  if ('problems' in parsed) {
    const problems = parsed.problems.map((problem) =>
      problem.code === 'file-unreadable' && extendedFrom
        ? new Problem({ ...problem, code: 'extends-missing', path: 'extends', location: extendedFrom, message: `cannot read extended file ${display}` })
        : new Problem({ ...problem, location: problem.location && { ...problem.location, file: display } }),
    );
    throw new ConfigError(problems);
  }
  const sources = relocate(parsed.sources, display);
  if (parsed.empty) {
    throw new ConfigError([
      new Problem({
        code: 'config-empty',
        message: 'the config is empty: it has no keys, only blank lines or comments',
        location: { file: display },
        hint: 'write the settings to run, or extends: ./base.yaml to start from another config',
      }),
    ]);
  }
  if (!isPlainObject(parsed.data)) {
    throw new ConfigError([
      new Problem({ code: 'not-a-mapping', message: 'a config must be a YAML mapping of keys to values', location: sources.get('')?.value }),
    ]);
  }
  const { extends: parents, ...own } = parsed.data;
  resolvePluginPaths(own, dirname(file));
  let merged: ConfigData = {};
  for (const [index, parent] of parentList(parents, sources).entries()) {
    const location = sources.get(Array.isArray(parents) ? `extends.${index}` : 'extends')?.value;
    merged = mergeInto(merged, loadLayer(resolve(dirname(file), parent), [...chain, file], state, location), '', state);
  }
  for (const [path, source] of sources) if (path !== 'extends' && !path.startsWith('extends.')) state.sources.set(path, source);
  return mergeInto(merged, own, '', state);
}

function parentList(parents: unknown, sources: SourceMap): readonly string[] {
  if (parents === undefined) return [];
  const list = isExtends(parents) ? (typeof parents === 'string' ? [parents] : parents) : undefined;
  if (list?.every((entry) => entry !== '')) return list;
  throw new ConfigError([
    new Problem({
      code: 'extends-type',
      message: `found ${JSON.stringify(parents)}`,
      path: 'extends',
      location: sources.get('extends')?.value,
      hint: 'extends takes a path relative to this file, or a list of them, e.g. extends: ./base.yaml',
    }),
  ]);
}

/** `plugins:` entries are relative to the file that lists them; make them absolute before merging. */
function resolvePluginPaths(layer: ConfigData, directory: string): void {
  if (isPluginList(layer.plugins)) layer.plugins = layer.plugins.map((entry) => resolve(directory, entry));
}

function relocate(sources: SourceMap, file: string): SourceMap {
  const withFile = (location: SourceLocation): SourceLocation => ({ ...location, file });
  return new Map([...sources].map(([path, entry]): [string, EntrySource] => [path, { key: withFile(entry.key), value: withFile(entry.value) }]));
}

/** Deep merge: mappings merge key by key, everything else (lists included) is replaced. */
function mergeInto(base: ConfigData, layer: ConfigData, path: string, state: MergeState): ConfigData {
  const result: ConfigData = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    const childPath = joinPath(path, key);
    const previous = result[key];
    state.retyped.get(path)?.delete(key);
    if (isPlainObject(previous) && isPlainObject(value)) {
      if (typeof value.type === 'string' && typeof previous.type === 'string' && value.type !== previous.type) {
        state.retyped.set(childPath, inheritedKeys(previous));
      }
      result[key] = mergeInto(previous, value, childPath, state);
    } else {
      result[key] = value;
    }
  }
  return result;
}

/** The params of a block about to change type; the merge removes each key the new layer writes. */
function inheritedKeys(block: ConfigData): Set<string> {
  return new Set(Object.keys(block).filter((key) => key !== 'type'));
}

function applyOverrides(data: ConfigData, overrides: readonly Override[], state: MergeState): void {
  const problems: Problem[] = [];
  for (const override of overrides) {
    const location = { file: `--set ${override.text}` };
    const segments = override.path.split('.');
    let target: ConfigData = data;
    let failed = false;
    for (const [index, segment] of segments.slice(0, -1).entries()) {
      const next = Object.hasOwn(target, segment) ? target[segment] : undefined;
      if (next === undefined) {
        target[segment] = {};
        // A mapping the override creates is written there, for problems about it (e.g. an unknown key).
        state.sources.set(segments.slice(0, index + 1).join('.'), { key: location, value: location });
      }
      else if (!isPlainObject(next)) {
        const parentPath = segments.slice(0, index + 1).join('.');
        problems.push(
          new Problem({
            code: 'override-path',
            message: `cannot set a key inside ${parentPath}, which is ${describe(next)}`,
            path: override.path,
            location,
          }),
        );
        failed = true;
        break;
      }
      target = target[segment] as ConfigData;
    }
    if (failed) continue;
    const last = segments[segments.length - 1];
    if (last === 'type' && typeof target.type === 'string' && target.type !== override.value) {
      const blockPath = segments.slice(0, -1).join('.');
      const given = new Set(overrides.filter((other) => other.path.startsWith(`${blockPath}.`)).map((other) => other.path.slice(blockPath.length + 1).split('.')[0]));
      state.retyped.set(blockPath, new Set([...inheritedKeys(target)].filter((key) => !given.has(key))));
    }
    // A key an override writes is the user's, whichever layer retyped its block: checked, never dropped.
    segments.forEach((segment, index) => state.retyped.get(segments.slice(0, index).join('.'))?.delete(segment));
    target[last] = override.value;
    state.sources.set(override.path, { key: location, value: location });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value === 'string' ? 'the string' : `the ${typeof value}`} ${JSON.stringify(value)}`;
}
