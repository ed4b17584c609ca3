/** Attention computed by hand on plain arrays, to check poolers against. */

/** Softmax of `scores` over the positions where `mask` is 1; 0 elsewhere. */
export function maskedSoftmaxByHand(scores: readonly number[], mask: readonly number[]): number[] {
  const max = Math.max(...scores.filter((_, i) => mask[i] > 0));
  const exps = scores.map((score, i) => (mask[i] > 0 ? Math.exp(score - max) : 0));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

/** x [rows][in] · matrix (row-major [in, out]) → [rows][out]. */
export function multiply(x: readonly (readonly number[])[], matrix: ArrayLike<number>, out: number): number[][] {
  return x.map((row) => Array.from({ length: out }, (_, j) => row.reduce((sum, value, d) => sum + value * matrix[d * out + j], 0)));
}

export function assertClose(found: readonly number[], expected: readonly number[], tolerance = 1e-5): string | undefined {
  const far = found.length !== expected.length || found.some((value, i) => Math.abs(value - expected[i]) > tolerance);
  return far ? `found ${found.join(', ')}; expected ${expected.join(', ')}` : undefined;
}
