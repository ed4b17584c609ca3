/**
 * Ops whose forward and backward passes attnlab writes itself.
 *
 * `tf.customGrad` computes the gradient of every input eagerly, even of inputs nothing trains
 * (the frozen embeddings feeding a recurrent layer: a [batch·time, 4·hidden]×[4·hidden, dim]
 * matmul, ~60 ms per batch on wasm, wasted). The engine's `runKernelFunc`, on which `customGrad`
 * itself is built, takes one gradient thunk per input and evaluates only the thunks of inputs
 * on a path to the variables being differentiated, so custom ops go through it.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';

/** One gradient thunk per named input; only the ones needed are called. */
export type GradientThunks<I extends string> = (dy: tfjs.Tensor) => Record<I, () => tfjs.Tensor>;

export interface CustomOpResult<T extends tfjs.Tensor, I extends string> {
  readonly value: T;
  readonly gradient: GradientThunks<I>;
}

interface KernelFuncEngine {
  runKernelFunc(config: {
    forwardFunc: () => tfjs.Tensor;
    backwardsFunc: (dy: tfjs.Tensor) => Record<string, () => tfjs.Tensor>;
    inputs: Record<string, tfjs.Tensor>;
  }): tfjs.Tensor;
}

/**
 * Runs `forward` on `inputs` as one op of the gradient tape. Inside `forward`, tfjs ops are not
 * recorded, so it may compute however it likes (typed arrays included).
 */
export function runCustomOp<T extends tfjs.Tensor, I extends string>(
  tf: Tf,
  inputs: Record<I, tfjs.Tensor>,
  forward: () => CustomOpResult<T, I>,
): T {
  const engine = tf.engine() as unknown as KernelFuncEngine;
  let gradient: GradientThunks<I> | undefined;
  return engine.runKernelFunc({
    forwardFunc: () => {
      const result = forward();
      gradient = result.gradient;
      return result.value;
    },
    backwardsFunc: (dy) => (gradient as GradientThunks<I>)(dy),
    inputs,
  }) as T;
}
