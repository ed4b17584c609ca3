/** A small recurrence's random problem and the comparison of two computations of it, for the LSTM/GRU kernel tests. */

export type Cell = 'lstm' | 'gru';

/** Inputs 10 wide, 12 hidden units, 9 steps: odd enough that padded lanes and rows matter. */
export const RECURRENCE = { input: 10, hidden: 12, time: 9 } as const;

/** `length` values uniform in [−scale, scale) from `random`. */
export const uniform = (random: () => number, length: number, scale: number): Float32Array => Float32Array.from({ length }, () => (random() - 0.5) * 2 * scale);

/**
 * A mask where row r is real for a random length of 1 … time tokens, the layer's inputs
 * (`drawInputs`), weights and loss weights, drawn from `random` in that order.
 */
export function recurrenceProblem<Inputs extends object>(cell: Cell, batch: number, random: () => number, drawInputs: () => Inputs) {
  const { input, hidden, time } = RECURRENCE;
  const width = (cell === 'lstm' ? 4 : 3) * hidden;
  const mask = new Float32Array(batch * time);
  for (let row = 0; row < batch; row++) mask.fill(1, row * time, row * time + 1 + Math.floor(random() * time));
  return {
    ...drawInputs(),
    mask,
    kernel: uniform(random, input * width, 0.4),
    recurrentKernel: uniform(random, hidden * width, 0.4),
    bias: uniform(random, width, 0.3),
    lossWeights: uniform(random, batch * time * hidden, 1),
    batch,
    width,
  };
}

/** Passes when `actual` matches `expected` to `tolerance`, relative to |expected| + 1e-3. */
export function assertClose(t: { true: (value: boolean, message: string) => void }, actual: Float32Array, expected: Float32Array, what: string, tolerance = 1e-4): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1e-3 + Math.abs(expected[i])));
  t.true(actual.length === expected.length && worst < tolerance, `${what}: largest relative difference ${worst}`);
}
