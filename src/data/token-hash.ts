/**
 * The hash of token text, one for the whole project: FNV-1a over UTF-16 code units. The tokeniser
 * computes it while scanning, the token maps and the embedding tables probe with it, and the binary
 * embeddings cache stores slots computed with it (so a change here must change the cache's magic).
 */

/** FNV's offset basis as an int32: a seed above 2^31 would make V8 keep hashes as doubles, 3× slower. */
export const TOKEN_HASH_SEED = 0x811c9dc5 | 0;

/** The hash of a text extended by one code unit. */
export function hashStep(hash: number, code: number): number {
  return Math.imul(hash ^ code, 0x01000193);
}

/** The hash of `source.slice(start, end)`. */
export function hashRange(source: string, start: number, end: number): number {
  let hash = TOKEN_HASH_SEED;
  for (let i = start; i < end; i++) hash = hashStep(hash, source.charCodeAt(i));
  return hash;
}
