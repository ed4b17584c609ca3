/**
 * A sweep file: a base run config and the axes to vary (grid, zip groups, seeds), read with the
 * position of every key so that a bad axis is reported at its line.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { ConfigError, Problem } from '../errors.js';
import { displayPath, isPlainObject } from '../config/load.js';
import { checkPathName } from '../config/names.js';
import { readYamlFile, type SourceMap } from '../config/yaml-source.js';

export const sweepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['base'],
  properties: {
    name: { type: 'string', description: 'The sweep’s name (its MLflow parent run); default: the file name.' },
    base: { type: 'string', description: 'The run config every trial starts from, relative to this file.' },
    set: {
      type: 'object',
      default: {},
      description: 'Dotted config keys set the same in every trial (like --set), e.g. data.train_limit: 5000.',
    },
    grid: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'array', minItems: 1 },
      description: 'Cartesian product over dotted config keys: key → list of values.',
    },
    zip: {
      type: 'array',
      default: [],
      items: { type: 'object', minProperties: 1, additionalProperties: { type: 'array', minItems: 1 } },
      description: 'Groups of keys whose values vary together (lists of equal length).',
    },
    seeds: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1, description: 'Repeat every trial with these seeds.' },
    parallel: { type: 'integer', minimum: 1, maximum: 64, default: 1, description: 'Trials run at once, each in its own process.' },
    metric: { type: 'string', default: 'val_accuracy', description: 'Metric the summary ranks trials by.' },
    goal: { enum: ['maximize', 'minimize'], default: 'maximize', description: 'Whether a higher or lower metric is better.' },
    on_failure: { enum: ['continue', 'stop'], default: 'continue', description: 'Keep running the other trials after a failure, or stop.' },
  },
} as const;

export interface SweepFile {
  readonly file: string;
  readonly name: string;
  /** Absolute path of the base run config. */
  readonly base: string;
  /** Fixed settings of every trial. */
  readonly set: Readonly<Record<string, unknown>>;
  readonly grid: Readonly<Record<string, readonly unknown[]>>;
  readonly zip: readonly Readonly<Record<string, readonly unknown[]>>[];
  readonly seeds?: readonly number[];
  readonly parallel: number;
  readonly metric: string;
  readonly goal: 'maximize' | 'minimize';
  readonly on_failure: 'continue' | 'stop';
  readonly sources: SourceMap;
}

/** Whether a YAML document is a sweep file rather than a run config. */
export function looksLikeSweep(data: unknown): boolean {
  return isPlainObject(data) && typeof data.base === 'string' && ('grid' in data || 'zip' in data || 'seeds' in data);
}

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(sweepSchema);

export function readSweepFile(file: string): SweepFile {
  const absolute = resolve(file);
  const display = displayPath(absolute);
  const parsed = readYamlFile(absolute);
  if ('problems' in parsed) throw new ConfigError(parsed.problems.map((problem) => new Problem({ ...problem, location: problem.location && { ...problem.location, file: display } })));
  const sources: SourceMap = new Map(
    [...parsed.sources].map(([path, entry]) => [path, { key: { ...entry.key, file: display }, value: { ...entry.value, file: display } }]),
  );
  if (parsed.empty) {
    throw new ConfigError([
      new Problem({ code: 'sweep-empty', message: 'the sweep file is empty: it has no keys, only blank lines or comments', location: { file: display }, hint: 'a sweep file names a base: config and a grid:, zip: or seeds:' }),
    ]);
  }
  const data = parsed.data as Record<string, unknown>;
  if (!validate(data)) {
    throw new ConfigError(
      (validate.errors ?? []).map((error) => {
        const segments = error.instancePath.split('/').slice(1);
        const key = error.keyword === 'additionalProperties' ? String((error.params as { additionalProperty: string }).additionalProperty) : undefined;
        const path = [...segments, ...(key ? [key] : [])].join('.');
        return new Problem({
          code: `sweep-${error.keyword}`,
          message: key ? `unknown key "${key}" in a sweep file; known: ${Object.keys(sweepSchema.properties).join(', ')}` : `${error.message ?? 'is not valid'}`,
          path,
          location: sources.get(path)?.[key ? 'key' : 'value'] ?? sources.get('')?.value,
        });
      }),
    );
  }
  checkZipLengths(data.zip as Record<string, unknown[]>[], sources);
  const base = resolve(dirname(absolute), data.base as string);
  checkAxes(data as unknown as Pick<SweepFile, 'grid' | 'zip' | 'seeds' | 'set'>, sources);
  const problems: Problem[] = [];
  const name = typeof data.name === 'string' ? data.name : basename(absolute, extname(absolute));
  const nameProblem = checkPathName(name);
  if (nameProblem) {
    problems.push(new Problem({ code: 'sweep-name', message: `name ${JSON.stringify(name)} ${nameProblem}`, path: 'name', location: sources.get('name')?.value ?? { file: display }, hint: 'use letters, digits, "-", "_" and "."' }));
  }
  if (!existsSync(base)) {
    problems.push(new Problem({ code: 'sweep-base-missing', message: `base config ${displayPath(base)} does not exist`, path: 'base', location: sources.get('base')?.value, hint: 'base: is relative to the sweep file' }));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(data as unknown as Omit<SweepFile, 'file' | 'name' | 'base' | 'sources'>),
    file: absolute,
    name,
    base,
    sources,
  };
}

/** A key varied twice (grid and zip, two zip groups, a seed axis beside `seeds:`), or an axis listing a value twice. */
function checkAxes(sweep: Pick<SweepFile, 'grid' | 'zip' | 'seeds' | 'set'>, sources: SourceMap): void {
  const problems: Problem[] = [];
  const where = new Map<string, string>();
  const axes: [string, string, readonly unknown[]][] = [
    ...Object.entries(sweep.grid).map(([key, values]): [string, string, readonly unknown[]] => [key, `grid.${key}`, values]),
    ...sweep.zip.flatMap((group, index) => Object.entries(group).map(([key, values]): [string, string, readonly unknown[]] => [key, `zip.${index}.${key}`, values])),
  ];
  if (sweep.seeds) axes.push(['seed', 'seeds', sweep.seeds]);
  for (const [key, path, values] of axes) {
    const location = sources.get(path)?.key;
    const previous = where.get(key);
    if (previous !== undefined) {
      const line = sources.get(previous)?.key.line;
      problems.push(
        new Problem({
          code: 'sweep-axis-twice',
          message: `${key} is varied twice: in ${previous}${line ? ` (line ${line})` : ''} and in ${path}`,
          path,
          location,
          hint: key === 'seed' ? 'vary the seed with seeds: or with a seed axis, not both' : 'keep the key in one axis',
        }),
      );
    } else where.set(key, path);
    if (Object.hasOwn(sweep.set, key)) {
      problems.push(new Problem({ code: 'sweep-axis-twice', message: `${key} is both fixed in set: and varied in ${path}`, path, location }));
    }
    const seen = new Set<string>();
    values.forEach((value, index) => {
      const text = JSON.stringify(value);
      if (seen.has(text)) {
        problems.push(
          new Problem({
            code: 'sweep-duplicate-value',
            message: `${path} lists ${text} twice: the trials would repeat`,
            path: `${path}.${index}`,
            location: sources.get(`${path}.${index}`)?.value ?? location,
          }),
        );
      }
      seen.add(text);
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

function checkZipLengths(groups: readonly Record<string, unknown[]>[], sources: SourceMap): void {
  const problems: Problem[] = [];
  groups.forEach((group, index) => {
    const lengths = Object.entries(group).map(([key, values]) => `${key}: ${values.length}`);
    if (new Set(Object.values(group).map((values) => values.length)).size > 1) {
      problems.push(
        new Problem({
          code: 'sweep-zip-length',
          message: `the lists of a zip group vary together and must have the same length; found ${lengths.join(', ')}`,
          path: `zip.${index}`,
          location: sources.get(`zip.${index}`)?.value,
        }),
      );
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
}
