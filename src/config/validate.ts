/**
 * Checks a loaded config against the core schema and, slot by slot, against the schema of the
 * plugin each `type:` names; fills defaults; reports every problem at once with its file, line,
 * column and key path.
 */
import { basename, extname } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Container } from 'inversify';
import { closest, ConfigError, PluginError, Problem, type SourceLocation } from '../errors.js';
import { RENAMED_KEYWORD, SLOT_KEYWORD, type AnyPlugin, type PluginKind } from '../plugin-api.js';
import { createContainer, registryOf } from '../plugins/container.js';
import { describe, isPlainObject, listedPlugins, loadConfig, type ConfigData, type LoadedConfig, type Override } from './load.js';
import { resolvedConfigSchema, type JsonSchema } from './schema.js';
import type { ConfigFile, ResolvedConfig } from './types.js';
import { withOrigin } from './block-origin.js';
import { checkPathName } from './names.js';
import { joinPath } from './yaml-source.js';

/** Loads, merges and validates a config file; throws ConfigError listing every problem. */
export async function resolveConfigFile(
  file: string,
  overrides: readonly Override[] = [],
  container?: Container,
): Promise<ConfigFile & { container: Container }> {
  const loaded = loadConfig(file, overrides);
  const userPlugins = listedPlugins(loaded.data);
  const runContainer = container ?? (await containerFor(userPlugins, loaded));
  const config = await validateLoaded(loaded, runContainer);
  return { file: loaded.file, config, container: runContainer };
}

async function containerFor(userPlugins: readonly string[], loaded: LoadedConfig): Promise<Container> {
  try {
    return await createContainer(userPlugins);
  } catch (error) {
    if (!(error instanceof PluginError)) throw error;
    const index = userPlugins.indexOf(error.file);
    const location = index >= 0 ? loaded.sources.get(`plugins.${index}`)?.value : undefined;
    throw new ConfigError([new Problem({ code: error.code, message: error.message, path: index >= 0 ? `plugins.${index}` : 'plugins', location })]);
  }
}

export async function validateLoaded(loaded: LoadedConfig, container: Container): Promise<ResolvedConfig> {
  const validator = new ConfigValidator(loaded, container);
  const data = structuredClone(loaded.data);
  data.name ??= basename(loaded.file, extname(loaded.file));
  return deepFreeze(await validator.check(data));
}

/** Added to every numeric property when a schema is compiled: finite numbers, safe integers. */
const NUMBER_KEYWORD = 'x-attnlab-number';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
ajv.addKeyword({ keyword: SLOT_KEYWORD, schemaType: 'string' });
ajv.addKeyword({ keyword: RENAMED_KEYWORD, schemaType: 'string' });
ajv.addKeyword({
  keyword: NUMBER_KEYWORD,
  schemaType: 'string',
  validate: (kind: string, data: unknown) => typeof data !== 'number' || (kind === 'integer' ? Number.isSafeInteger(data) : Number.isFinite(data)),
});
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Compiles `schema` (the core's or a plugin's) with the schema-wide number rule: NaN, ±Infinity
 * (YAML's `.nan`, `.inf`, `1e400`) and integers beyond ±2^53 are refused in every numeric field,
 * whatever bounds the field itself declares.
 */
function compile(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(withNumberRule(schema) as object);
    compiled.set(schema, validate);
  }
  return validate;
}

/** The core schema's validator: a type guard for the config type derived from the same schema. */
const validateConfig = ajv.compile<ResolvedConfig>(withNumberRule(resolvedConfigSchema) as object);

/** A copy of `schema` with {@link NUMBER_KEYWORD} beside every numeric `type`. */
export function withNumberRule(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withNumberRule);
  if (!isPlainObject(schema)) return schema;
  const result: ConfigData = {};
  for (const [key, value] of Object.entries(schema)) {
    result[key] = key === 'default' || key === 'enum' || key === 'const' || key === 'examples' ? value : withNumberRule(value);
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('integer')) result[NUMBER_KEYWORD] = 'integer';
  else if (types.includes('number')) result[NUMBER_KEYWORD] = 'number';
  return result;
}

class ConfigValidator {
  private readonly problems: Problem[] = [];

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly container: Container,
  ) {}

  async check(data: ConfigData): Promise<ResolvedConfig> {
    const valid = this.checkSchema(validateConfig, data, '');
    this.checkName(data);
    await this.checkSlots(resolvedConfigSchema, data, '');
    if (this.problems.length === 0) await this.checkTracking(data);
    if (!valid || this.problems.length > 0) throw new ConfigError(capProblems(sortByLocation(this.problems)));
    return data;
  }

  /** The run name becomes the name of trial logs and report files: one plain path segment. */
  private checkName(data: ConfigData): void {
    if (typeof data.name !== 'string') return;
    const reason = checkPathName(data.name);
    if (reason) this.problems.push(new Problem({ code: 'bad-name', message: `name ${JSON.stringify(data.name)} ${reason}`, path: 'name', location: this.locate('name', 'value'), hint: 'use letters, digits, "-", "_" and "."' }));
  }

  /** What MLflow would refuse at run time: param keys (characters, 250 at most) and the tracking URI. */
  private async checkTracking(data: ConfigData): Promise<void> {
    const { trackingProblems } = await import('../tracking/config-checks.js');
    for (const problem of trackingProblems(data)) {
      this.problems.push(new Problem({ ...problem, location: this.locate(problem.path, problem.path === 'tracking.uri' ? 'value' : 'key') }));
    }
  }

  /** Validates `value` (at `path`) with ajv, filling defaults, and records every error. */
  private checkSchema<T>(validate: ValidateFunction<T>, value: unknown, path: string): value is T {
    if (validate(value)) return true;
    for (const error of validate.errors ?? []) {
      // A slot block without its `type` is reported by checkBlock, with the plugins it could name.
      if (!(error.keyword === 'required' && (error.parentSchema as JsonSchema | undefined)?.[SLOT_KEYWORD])) this.problems.push(this.describeError(error, value, path));
    }
    return false;
  }

  /** Walks `schema` and `value` together and checks every plugin block found in a slot. */
  private async checkSlots(schema: JsonSchema, value: unknown, path: string): Promise<void> {
    if (!isPlainObject(value)) return;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [key, child] of Object.entries(value)) {
      const childSchema = properties[key] ?? (typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as JsonSchema) : undefined);
      if (!childSchema) continue;
      const childPath = joinPath(path, key);
      const kind = childSchema[SLOT_KEYWORD] as PluginKind | undefined;
      if (kind) value[key] = await this.checkBlock(kind, child, childPath, childSchema);
      else await this.checkSlots(childSchema, child, childPath);
    }
  }

  /** Checks one plugin block; returns it with its plugin's defaults filled. */
  private async checkBlock(kind: PluginKind, block: unknown, path: string, slotSchema: JsonSchema): Promise<unknown> {
    if (!isPlainObject(block)) return block; // the core schema already reported it
    const registry = registryOf(this.container);
    const known = registry.names(kind);
    const defaultType = (slotSchema.default as { type?: string } | undefined)?.type;
    const type = block.type ?? defaultType;
    if (typeof type !== 'string') {
      this.problems.push(
        new Problem({
          code: 'plugin-type-missing',
          message: `missing "type"; known ${kind} plugins: ${known.join(', ')}`,
          path: joinPath(path, 'type'),
          location: this.locate(path, 'key'),
        }),
      );
      return block;
    }
    if (!registry.get(kind, type)) {
      const suggestion = closest(type, known);
      this.problems.push(
        new Problem({
          code: 'plugin-unknown',
          message: `unknown ${kind} "${type}"; known: ${known.join(', ')}${suggestion ? ` — did you mean "${suggestion}"?` : ''}`,
          path: joinPath(path, 'type'),
          location: this.locate(joinPath(path, 'type'), 'value'),
        }),
      );
      return block;
    }
    const plugin = await this.loadPlugin(kind, type, path);
    if (!plugin) return block;
    const { type: _type, ...params } = block;
    this.dropInheritedParams(path, params, plugin.schema as JsonSchema);
    this.checkSchema(compile(plugin.schema as object), params, path);
    await this.checkSlots(plugin.schema as JsonSchema, params, path);
    return withOrigin({ type, ...params }, { path, location: this.locate(path, 'key') });
  }

  private async loadPlugin(kind: PluginKind, type: string, path: string): Promise<AnyPlugin | undefined> {
    try {
      return await registryOf(this.container).get(kind, type)?.load();
    } catch (error) {
      if (!(error instanceof PluginError)) throw error;
      this.problems.push(new Problem({ code: error.code, message: error.message, path: joinPath(path, 'type'), location: this.locate(joinPath(path, 'type'), 'value') }));
      return undefined;
    }
  }

  /**
   * After a `type` change, params left over from the previous type that the new plugin does not
   * know are dropped, not errors; every key written with or after the new type is checked.
   */
  private dropInheritedParams(path: string, params: ConfigData, schema: JsonSchema): void {
    const inherited = this.loaded.retyped.get(path);
    if (!inherited) return;
    const known = new Set(Object.keys((schema.properties ?? {}) as object));
    for (const key of Object.keys(params)) {
      if (!known.has(key) && inherited.has(key)) delete params[key];
    }
  }

  private describeError(error: ErrorObject, root: unknown, basePath: string): Problem {
    const segments = error.instancePath.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    const path = segments.reduce(joinPath, basePath);
    const found = segments.reduce<unknown>((value, segment) => (isPlainObject(value) || Array.isArray(value) ? (value as Record<string, unknown>)[segment] : undefined), root);
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'additionalProperties': {
        const key = String(params.additionalProperty);
        const properties = ((error.parentSchema as JsonSchema | undefined)?.properties ?? {}) as Record<string, JsonSchema>;
        const knownKeys = Object.keys(properties);
        const renamed = knownKeys.find((known) => properties[known][RENAMED_KEYWORD] === key);
        const suggestion = closest(key, knownKeys);
        return new Problem({
          code: 'unknown-key',
          message: renamed
            ? `unknown key "${key}": it is now called "${renamed}"`
            : `unknown key "${key}"; known: ${knownKeys.join(', ') || '(none)'}${suggestion ? ` — did you mean "${suggestion}"?` : ''}`,
          path: joinPath(path, key),
          location: this.locate(joinPath(path, key), 'key'),
          hint: renamed && `write ${renamed}: in place of ${key}: (same value)`,
        });
      }
      case 'required':
        return new Problem({
          code: 'missing-key',
          message: `missing required key "${String(params.missingProperty)}"`,
          path: joinPath(path, String(params.missingProperty)),
          location: this.locate(path, 'key'),
        });
      case 'type':
        return this.valueProblem('wrong-type', path, `expected ${String(params.type)}, found ${describe(found)}`);
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String);
        const suggestion = typeof found === 'string' ? closest(found, allowed) : undefined;
        return this.valueProblem(
          'not-allowed',
          path,
          `found ${describe(found)}; allowed: ${allowed.join(', ')}${suggestion ? ` — did you mean "${suggestion}"?` : ''}`,
        );
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        return this.valueProblem('out-of-range', path, `${String(found)} is out of range: must be ${String(params.comparison)} ${String(params.limit)}`);
      case NUMBER_KEYWORD:
        return typeof found === 'number' && Number.isFinite(found)
          ? this.valueProblem('out-of-range', path, `${String(found)} is out of range: a whole number here must lie within ±${Number.MAX_SAFE_INTEGER}`)
          : this.valueProblem('not-finite', path, `${String(found)} is not a finite number`);
      default:
        return this.valueProblem(`schema-${error.keyword}`, path, `${error.message ?? 'is not valid'}, found ${describe(found)}`);
    }
  }

  private valueProblem(code: string, path: string, message: string): Problem {
    return new Problem({ code, message, path, location: this.locate(path, 'value') });
  }

  /** Where `path` (or its nearest written ancestor) is in the user's files. */
  private locate(path: string, part: 'key' | 'value'): SourceLocation | undefined {
    let current = path;
    for (;;) {
      const source = this.loaded.sources.get(current);
      if (source) return current === path ? source[part] : source.key;
      if (current === '') return undefined;
      const dot = current.lastIndexOf('.');
      current = dot < 0 ? '' : current.slice(0, dot);
    }
  }
}

/** At most this many problems are listed; the rest are counted. */
export const MAX_PROBLEMS = 100;

function capProblems(problems: readonly Problem[]): readonly Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const rest = problems.length - MAX_PROBLEMS;
  return [...problems.slice(0, MAX_PROBLEMS), new Problem({ code: 'too-many-problems', message: `… and ${rest} more problem${rest === 1 ? '' : 's'}` })];
}

/** In file order, so the list reads top to bottom; problems without a line come last. */
function sortByLocation(problems: readonly Problem[]): Problem[] {
  const key = (problem: Problem): [string, number, number] => [
    problem.location?.file ?? '\uffff',
    problem.location?.line ?? Number.MAX_SAFE_INTEGER,
    problem.location?.column ?? 0,
  ];
  return [...problems].sort((a, b) => {
    const [fileA, lineA, columnA] = key(a);
    const [fileB, lineB, columnB] = key(b);
    return fileA === fileB ? lineA - lineB || columnA - columnB : fileA < fileB ? -1 : 1;
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
