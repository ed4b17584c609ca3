/**
 * Where a resolved plugin block was written: the validator records it on the block, so that a
 * problem found when the block is built (a chain of sizes that does not fit) still names the
 * config file, line and key path.
 */
import type { SourceLocation } from '../errors.js';

export interface BlockOrigin {
  /** Dotted key path of the block, e.g. `model.pooler`. */
  readonly path: string;
  /** Where its key is written (for a block filled in by a default, its nearest written ancestor's). */
  readonly location?: SourceLocation;
}

// A symbol, not enumerable: the origin stays out of hashes, YAML dumps and params alike.
const ORIGIN = Symbol('attnlab.block-origin');

/** `block`, carrying `origin` (call before the block is frozen). */
export function withOrigin<T extends object>(block: T, origin: BlockOrigin): T {
  Object.defineProperty(block, ORIGIN, { value: origin, enumerable: false });
  return block;
}

export function originOf(block: object): BlockOrigin | undefined {
  return (block as { readonly [ORIGIN]?: BlockOrigin })[ORIGIN];
}
