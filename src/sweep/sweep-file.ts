/**
 * A sweep file: a base run config and the axes to vary (grid, zip groups, seeds), read with the
 * position of every key so that a bad axis is reported at its line.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { ConfigError, Problem } from '../errors.js';
import { displayPath, isPlainObject } from '../config/load.js';
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
  return {
    ...(data as unknown as Omit<SweepFile, 'file' | 'name' | 'base' | 'sources'>),
    file: absolute,
    name: typeof data.name === 'string' ? data.name : basename(absolute, extname(absolute)),
    base: resolve(dirname(absolute), data.base as string),
    sources,
  };
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
