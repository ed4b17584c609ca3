/** Seeded initialisers and dropout. */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';

/** A trainable variable initialised Glorot-uniform: U(±√(6 / (fanIn + fanOut))), from `seed`. */
export function glorot(tf: Tf, name: string, shape: readonly number[], seed: number): tfjs.Variable {
  const initial = tf.initializers.glorotUniform({ seed }).apply([...shape]);
  return tf.variable(initial, true, name);
}

export function zeros(tf: Tf, name: string, shape: readonly number[]): tfjs.Variable {
  return tf.variable(tf.zeros([...shape]), true, name);
}

/**
 * Inverted dropout whose masks are reproducible from `seed` yet differ from call to call: the
 * n-th call with a given seed draws its mask from (seed, n). tfjs alone would draw the same mask
 * at every step for a fixed seed.
 */
export function createDropout(tf: Tf): <T extends tfjs.Tensor>(x: T, rate: number, seed: number) => T {
  const callsPerSeed = new Map<number, number>();
  return (x, rate, seed) => {
    if (rate === 0) return x;
    const call = callsPerSeed.get(seed) ?? 0;
    callsPerSeed.set(seed, call + 1);
    return tf.dropout(x, rate, undefined, mixSeed(seed, call)) as typeof x;
  };
}

/** A 32-bit mix of two integers, so that nearby (seed, call) pairs give unrelated streams. */
function mixSeed(seed: number, call: number): number {
  let hash = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(call + 1, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return Math.imul(hash, 0x27d4eb2f) >>> 0;
}
