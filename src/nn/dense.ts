/**
 * Affine layer with a hand-written backward pass, optionally followed by an activation in the
 * same op. tfjs differentiates `matMul` into matmuls with a transposed operand, which the wasm
 * backend runs ~8× slower than transposing explicitly and multiplying (0.45 s against 0.05 s
 * for a [14720, 256]ᵀ×[14720, 100] product); and its `tanh` and tanh gradient over a
 * [64·230, 100] value transform take ~50 ms each, where the activation kernels take a few ms.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { runCustomOp, type CustomOpResult } from './custom-op.js';
import { projectedPool } from './projected-pools.js';
import { fitsSimdDense, simdDense } from './simd-dense.js';
import { rememberValues, valuesOf } from './values.js';
import { activate, activationGradient, type KernelActivation } from './wasm/activation-kernels.js';

export type DenseActivation = KernelActivation | 'linear';

/** act(x [..., in] · kernel [in, out] + bias [out]) → [..., out]. */
export function dense<T extends tfjs.Tensor>(tf: Tf, x: T, kernel: tfjs.Tensor2D, bias?: tfjs.Tensor1D, activation: DenseActivation = 'linear'): T {
  const fromRows = tf.engine().isTapeOn() ? undefined : projectedPool(x, kernel, bias);
  if (fromRows !== undefined) {
    const outputs = activation === 'linear' ? fromRows : activate(activation, fromRows);
    return rememberValues(tf.tensor2d(outputs, [x.shape[0], kernel.shape[1]]), outputs) as tfjs.Tensor as T;
  }
  // Widths of whole SIMD vectors run entirely in the dense kernels (~1.7× faster forward and backward at [64·230, 100]).
  if (fitsSimdDense(...kernel.shape)) return simdDense(tf, x, kernel, bias, activation);
  if (activation !== 'linear') return activatedDense(tf, x, kernel, bias, activation);
  return affineOp(tf, x, kernel, bias, ({ rows, inDim, outDim, outShape }) => {
    const product = tf.matMul(tf.reshape(x, [rows, inDim]), kernel);
    const value = tf.reshape(bias === undefined ? product : tf.add(product, bias), outShape) as T;
    const gradient = (dy: tfjs.Tensor, [savedX, savedKernel]: readonly tfjs.Tensor[]) => {
      const dy2 = tf.reshape(dy, [rows, outDim]) as tfjs.Tensor2D;
      return affineGradients(tf, x.shape, savedX, savedKernel, dy2, () => tf.sum(dy2, 0));
    };
    return { value, gradient };
  });
}

interface AffineShape {
  readonly rows: number;
  readonly inDim: number;
  readonly outDim: number;
  readonly outShape: number[];
}

/** x · kernel (+ bias) as one custom op that saves x and the kernel for its backward pass. */
function affineOp<T extends tfjs.Tensor>(
  tf: Tf,
  x: T,
  kernel: tfjs.Tensor2D,
  bias: tfjs.Tensor1D | undefined,
  compute: (shape: AffineShape) => CustomOpResult<T, string>,
): T {
  const [inDim, outDim] = kernel.shape;
  const shape = { rows: x.size / inDim, inDim, outDim, outShape: [...x.shape.slice(0, -1), outDim] };
  const inputs: Record<string, tfjs.Tensor> = bias === undefined ? { x, kernel } : { x, kernel, bias };
  return runCustomOp(tf, inputs, (save) => {
    save([x, kernel]);
    return compute(shape);
  });
}

/** Gradients of x · kernel (+ bias) from d(pre-activation) [rows, out]. */
function affineGradients(tf: Tf, xShape: readonly number[], x: tfjs.Tensor, kernel: tfjs.Tensor, dPre: tfjs.Tensor2D, biasGradient: () => tfjs.Tensor) {
  const [rows, inDim] = [dPre.shape[0], kernel.shape[0]];
  return {
    x: () => tf.reshape(tf.matMul(dPre, tf.transpose(kernel)), [...xShape]),
    kernel: () => tf.matMul(tf.transpose(tf.reshape(x, [rows, inDim])), dPre),
    bias: biasGradient,
  };
}

/**
 * The activation runs on the product's values in a SIMD kernel; its output's values are kept
 * with the tensor (the attention ops read them) and for the backward pass, which needs only
 * dy ⊙ act'(y), once for all three gradients.
 */
function activatedDense<T extends tfjs.Tensor>(tf: Tf, x: T, kernel: tfjs.Tensor2D, bias: tfjs.Tensor1D | undefined, activation: KernelActivation): T {
  return affineOp(tf, x, kernel, bias, ({ rows, inDim, outDim, outShape }) => {
    const preactivation = tf.fused.matMul({ a: tf.reshape(x, [rows, inDim]), b: kernel, bias });
    const outputs = activate(activation, preactivation.dataSync() as Float32Array);
    preactivation.dispose();
    const gradient = (dy: tfjs.Tensor, [savedX, savedKernel]: readonly tfjs.Tensor[]) => {
      // The kernel always trains, so d(pre-activation) is always needed: computed once, here.
      const dPre = activationGradient(activation, valuesOf(dy), outputs);
      const dPreTensor = tf.tensor2d(dPre, [rows, outDim]);
      return affineGradients(tf, x.shape, savedX, savedKernel, dPreTensor, () => tf.tensor1d(columnSums(dPre, rows, outDim)));
    };
    return { value: rememberValues(tf.tensor(outputs, outShape) as T, outputs), gradient };
  });
}

function columnSums(values: Float32Array, rows: number, columns: number): Float32Array {
  const sums = new Float32Array(columns);
  for (let row = 0; row < rows; row++) for (let column = 0; column < columns; column++) sums[column] += values[row * columns + column];
  return sums;
}
