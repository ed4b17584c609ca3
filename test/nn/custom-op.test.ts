/**
 * Custom ops compute only the gradients asked for: the thunk of an input off every path to the
 * variables being differentiated (frozen embeddings, the data) is never called.
 */
import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { runCustomOp } from '../../src/nn/custom-op.js';
import { createNnOps } from '../../src/nn/ops.js';
import { pseudoRandom } from '../helpers/numeric.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);

/** a ⊙ b as a custom op, counting the calls of each input's gradient thunk. */
function countedProduct(a: tfjs.Tensor, b: tfjs.Tensor, calls: { a: number; b: number }): tfjs.Tensor {
  return runCustomOp(tf, { a, b }, (save) => {
    save([a, b]);
    return {
      value: tf.mul(a, b),
      gradient: (dy, [savedA, savedB]) => ({
        a: () => (calls.a++, tf.mul(dy, savedB)),
        b: () => (calls.b++, tf.mul(dy, savedA)),
      }),
    };
  });
}

test.serial('only the thunks of inputs on a path to the differentiated variables run', (t) => {
  const calls = { a: 0, b: 0 };
  const a = tf.variable(tf.tensor1d([1, 2, 3]), true, 'custom-op-test/a');
  const frozen = tf.tensor1d([4, 5, 6]);
  const { grads } = tf.variableGrads(() => tf.sum(countedProduct(a, frozen, calls)) as tfjs.Scalar, [a]);
  t.deepEqual(Array.from(grads[a.name].dataSync()), [4, 5, 6]);
  t.deepEqual(calls, { a: 1, b: 0 });
  const both = tf.grads((x: tfjs.Tensor, y: tfjs.Tensor) => tf.sum(countedProduct(x, y, calls)))([a, frozen]);
  t.deepEqual(Array.from(both[1].dataSync()), [1, 2, 3]);
  t.deepEqual(calls, { a: 2, b: 1 });
  tf.dispose([a, frozen, ...both, ...Object.values(grads)]);
});

test.serial('dense over a frozen input runs no matmul for the input gradient', async (t) => {
  // 4 → 5 units: off the SIMD path, so the gradients are tfjs matmuls that the profile counts.
  const x = tf.tensor3d(pseudoRandom(24, 1, 1.5), [2, 3, 4]);
  const kernel = tf.variable(tf.tensor2d(pseudoRandom(20, 2, 0.8), [4, 5]), true, 'custom-op-test/kernel');
  const input = tf.variable(x, true, 'custom-op-test/x');
  const loss = () => tf.sum(nn.dense(input as tfjs.Tensor as tfjs.Tensor3D, kernel as tfjs.Tensor as tfjs.Tensor2D)) as tfjs.Scalar;
  const matmuls = async (variables: tfjs.Variable[]) => {
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(loss, variables);
      tf.dispose([value, ...Object.values(grads)]);
    });
    return profile.kernels.filter((kernelInfo) => /MatMul/.test(kernelInfo.name)).length;
  };
  const kernelOnly = await matmuls([kernel]);
  const withInput = await matmuls([kernel, input]);
  t.true(kernelOnly < withInput, `matmuls: ${kernelOnly} for the kernel alone, ${withInput} with the input`);
  tf.dispose([x, kernel, input]);
});
