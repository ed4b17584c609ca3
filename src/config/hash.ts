/** Content hashes of resolved configs: the same settings always give the same hash. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from './types.js';

/** SHA-256 of the config with its keys sorted; `salt` (e.g. a git commit) is hashed after it. */
export function configHash(config: ResolvedConfig | Omit<ResolvedConfig, 'name'>, salt = ''): string {
  return createHash('sha256').update(canonicalJson(config)).update(salt).digest('hex');
}

/** JSON with keys sorted at every level. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A user plugin file as a run records it: where it was, its content and that content's hash. */
export interface PluginSource {
  readonly file: string;
  readonly text: string;
  readonly sha256: string;
}

/** The files under a config's `plugins:`, read now: what the run's code was, beside its config. */
export function readPluginSources(files: readonly string[]): PluginSource[] {
  return files.map((file) => {
    const text = readFileSync(file, 'utf8');
    return { file, text, sha256: createHash('sha256').update(text).digest('hex') };
  });
}

/**
 * What joins a trial's identity from its user plugins: their content hashes, so that editing a
 * plugin re-plans its trials. Empty without user plugins, leaving built-in-only hashes as they were.
 */
export function pluginsSalt(files: readonly string[]): string {
  return readPluginSources(files).map((source) => `+${source.sha256}`).join('');
}
