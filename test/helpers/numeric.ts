/** Numbers for gradient checks: reproducible inputs and central finite differences. */

/** `length` values uniform in [−scale, scale), from a small LCG seeded by `seed`. */
export function pseudoRandom(length: number, seed: number, scale: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** Central differences of `loss` with respect to each entry of `values` (changed in place, then restored). */
export function numericGradient<T extends Float32Array | Float64Array>(values: T, loss: () => number, step = 1e-2): T {
  return values.map((original, index) => {
    values[index] = original + step;
    const up = loss();
    values[index] = original - step;
    const down = loss();
    values[index] = original;
    return (up - down) / (2 * step);
  }) as T;
}
