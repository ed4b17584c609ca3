import test from 'ava';
import { activate, activationGradient, KERNEL_ACTIVATIONS, type KernelActivation } from '../../../src/nn/wasm/activation-kernels.js';

const REFERENCE: Record<KernelActivation, { value: (x: number) => number; slope: (x: number) => number }> = {
  tanh: { value: Math.tanh, slope: (x) => 1 - Math.tanh(x) ** 2 },
  sigmoid: { value: (x) => 1 / (1 + Math.exp(-x)), slope: (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2 },
  relu: { value: (x) => Math.max(0, x), slope: (x) => (x > 0 ? 1 : 0) },
  elu: { value: (x) => (x > 0 ? x : Math.expm1(x)), slope: (x) => (x > 0 ? 1 : Math.exp(x)) },
};

// Lengths not a multiple of four exercise the kernels' padded tail.
const inputs = Float32Array.from([-40, -9, -3.5, -1, -0.25, -1e-5, 0, 1e-5, 0.3, 1, 2.5, 6, 11, 40, 120, -120, 0.75]);

for (const activation of KERNEL_ACTIVATIONS) {
  test(`${activation}: values within 2e-7 of float64, no NaN at extremes`, (t) => {
    const outputs = activate(activation, inputs);
    t.is(outputs.length, inputs.length);
    inputs.forEach((x, index) => {
      const expected = REFERENCE[activation].value(x);
      t.true(Math.abs(outputs[index] - expected) <= 2e-7 * Math.max(1, Math.abs(expected)), `${activation}(${x}) = ${outputs[index]}, not ${expected}`);
    });
  });

  test(`${activation}: gradient is dy · act'(x), computed from the outputs`, (t) => {
    const dy = Float32Array.from(inputs, (_, index) => ((index * 7) % 5) - 2.5);
    const gradients = activationGradient(activation, dy, activate(activation, inputs));
    inputs.forEach((x, index) => {
      const expected = dy[index] * REFERENCE[activation].slope(x);
      t.true(Math.abs(gradients[index] - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `d${activation}(${x}) = ${gradients[index]}, not ${expected}`);
    });
  });
}

test('a large input grows the shared memory and leaves the caller’s arrays untouched', (t) => {
  const large = Float32Array.from({ length: 300_001 }, (_, index) => ((index % 200) - 100) / 25);
  const copy = large.slice();
  const outputs = activate('tanh', large);
  t.deepEqual(large, copy);
  t.true(Math.abs(outputs[300_000] - Math.tanh(large[300_000])) < 2e-7);
  t.true(Math.abs(activate('tanh', inputs.subarray(0, 3))[2] - Math.tanh(-3.5)) < 2e-7);
});
