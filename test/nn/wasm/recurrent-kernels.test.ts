import test from 'ava';
import { recurrentModule, type RecurrentKernels } from '../../../src/nn/wasm/recurrent-kernels.js';
import { createMemory, instantiate } from '../../../src/nn/wasm/runtime.js';

/** A kernel instance over a fresh memory, with float views at byte addresses. */
function kernels(cell: 'lstm' | 'gru', paddedHidden: number) {
  const memory = createMemory(1 << 20);
  const exports = instantiate<RecurrentKernels>(recurrentModule(cell, paddedHidden, 8), memory);
  const view = (address: number, length: number) => new Float32Array(memory.buffer, address, length);
  return { exports, view, bytes: memory.buffer.byteLength };
}

function pseudoRandom(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

test('forwardMatmul: c = a·U and c += a·U over row blocks and column blocks, strided rows', (t) => {
  const hidden = 16;
  const width = 4 * hidden;
  const rows = 8;
  const lda = hidden + 8; // a's rows are strided, as dz's steps are in backward
  const { exports, view } = kernels('lstm', hidden);
  const [aAt, uAt, cAt] = [0, 4096, 16384];
  const a = pseudoRandom(rows * lda, 1);
  const u = pseudoRandom(hidden * width, 2);
  view(aAt, a.length).set(a);
  view(uAt, u.length).set(u);
  const expected = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) for (let p = 0; p < hidden; p++) expected[i * width + j] += a[i * lda + p] * u[p * width + j];
  exports.forwardMatmul(aAt, 4 * lda, uAt, cAt, 4 * width, rows, 0);
  const c = view(cAt, rows * width);
  c.forEach((value, index) => t.true(Math.abs(value - expected[index]) < 1e-5, `c[${index}] ${value} vs ${expected[index]}`));
  exports.forwardMatmul(aAt, 4 * lda, uAt, cAt, 4 * width, rows, 1);
  view(cAt, rows * width).forEach((value, index) => t.true(Math.abs(value - 2 * expected[index]) < 1e-5));
});

test('gates: σ and tanh within 2e-7 of float64 over [−30, 30], saturating without NaN beyond', (t) => {
  // With U = 0 and a zero state, an LSTM row stores σ(z_i), σ(z_f), tanh(z_g), σ(z_o) as its activations.
  const hidden = 8;
  const { exports, view } = kernels('lstm', hidden);
  const [zAt, recAt, actAt, stateAt, scratchAt] = [0, 1024, 2048, 3072, 4096];
  const inputs = [-30, -12.5, -3, -1, -0.1, -1e-4, 0, 1e-4, 0.1, 0.5, 1, 2.7, 7, 15, 30, 200, -200, 88.5, -90, 1e-8];
  for (let start = 0; start < inputs.length; start += hidden) {
    const chunk = Float32Array.from({ length: hidden }, (_, j) => inputs[(start + j) % inputs.length]);
    for (let gate = 0; gate < 4; gate++) view(zAt + 4 * gate * hidden, hidden).set(chunk);
    view(stateAt, 2 * hidden).fill(0);
    exports.forwardRow(zAt, recAt, actAt, stateAt, scratchAt, scratchAt + 64, stateAt + 4 * hidden, scratchAt + 128, scratchAt + 192, zAt);
    const act = view(actAt, 4 * hidden);
    chunk.forEach((x, j) => {
      const sigmoid = 1 / (1 + Math.exp(-x));
      t.true(Math.abs(act[j] - sigmoid) < 2e-7, `σ(${x}) = ${act[j]}, not ${sigmoid}`);
      t.true(Math.abs(act[2 * hidden + j] - Math.tanh(x)) < 2e-7, `tanh(${x}) = ${act[2 * hidden + j]}, not ${Math.tanh(x)}`);
    });
  }
});

test('gradient matmuls: c += Σ_p a[p]ᵀ b[p] over strided rows; columnSums: c += Σ_p b[p]', (t) => {
  const hidden = 8;
  const width = 3 * hidden; // a GRU's three gates
  const input = 12; // the module's padded input size, three row blocks
  const inner = 5; // rows of a step, not a multiple of the row block
  const [aStride, bStride] = [input + 4, width + 8]; // floats between successive rows
  const memory = createMemory(1 << 20);
  const exports = instantiate<RecurrentKernels>(recurrentModule('gru', hidden, input), memory);
  const view = (address: number, length: number) => new Float32Array(memory.buffer, address, length);
  const [aAt, bAt, cAt, sumAt] = [0, 8192, 32768, 65536];
  const a = pseudoRandom(inner * aStride, 5);
  const b = pseudoRandom(inner * bStride, 6);
  const start = pseudoRandom(input * width, 7);
  view(aAt, a.length).set(a);
  view(bAt, b.length).set(b);
  view(cAt, start.length).set(start);
  exports.inputGradientMatmul(aAt, 4 * aStride, bAt, 4 * bStride, cAt, inner);
  const c = view(cAt, input * width);
  for (let i = 0; i < input; i++) {
    for (let j = 0; j < width; j++) {
      let expected = start[i * width + j];
      for (let p = 0; p < inner; p++) expected += a[p * aStride + i] * b[p * bStride + j];
      t.true(Math.abs(c[i * width + j] - expected) < 1e-5, `c[${i}, ${j}] ${c[i * width + j]} vs ${expected}`);
    }
  }
  exports.columnSums(bAt, 4 * bStride, sumAt, inner);
  exports.columnSums(bAt, 4 * bStride, sumAt, inner);
  view(sumAt, width).forEach((value, j) => {
    let expected = 0;
    for (let p = 0; p < inner; p++) expected += 2 * b[p * bStride + j];
    t.true(Math.abs(value - expected) < 1e-5, `sum[${j}] ${value} vs ${expected}`);
  });
});

test('forward rows touch the next step\'s z row within its bytes: a row that ends the memory does not trap, nor change the step', (t) => {
  for (const [cell, gates] of [['lstm', 4], ['gru', 3]] as const) {
    for (const hidden of [8, 24, 64]) {
      const { exports, view, bytes } = kernels(cell, hidden);
      const width = gates * hidden;
      const [zAt, recAt, actAt, stateAt, scratchAt] = [0, 4096, 8192, 12288, 16384];
      view(zAt, width).set(pseudoRandom(width, hidden));
      const lastRow = bytes - 4 * width;
      for (const name of ['forwardRow', 'inferenceRow'] as const) {
        const states = [zAt, lastRow].map((nextZ) => {
          view(stateAt, 2 * hidden).fill(0.25);
          exports[name](zAt, recAt, actAt, stateAt, scratchAt, scratchAt + 4 * hidden, stateAt + 4 * hidden, scratchAt + 8 * hidden, scratchAt + 12 * hidden, nextZ);
          return Array.from(view(stateAt, 2 * hidden));
        });
        t.deepEqual(states[1], states[0], `${cell} ${hidden} ${name}`);
      }
    }
  }
});
