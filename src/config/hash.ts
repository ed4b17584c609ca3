/** Content hashes of resolved configs: the same settings always give the same hash. */
import { createHash } from 'node:crypto';
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
