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

/**
 * One gradient thunk per named input; only the ones needed are called. `saved` holds the
 * tensors the forward pass saved, in order: the engine disposes every other tensor of the
 * forward pass (inputs included) before the backward pass runs.
 */
export type GradientThunks<I extends string, D extends Outputs = tfjs.Tensor> = (dy: D, saved: readonly tfjs.Tensor[]) => Record<I, () => tfjs.Tensor>;

/** An op's output, or its outputs: then the gradient gets one dy per output, zeros for an output nothing used. */
export type Outputs = tfjs.Tensor | tfjs.Tensor[];

export interface CustomOpResult<T extends Outputs, I extends string> {
  readonly value: T;
  readonly gradient: GradientThunks<I, T>;
}

/** Keeps tensors alive for the backward pass. */
export type SaveTensors = (tensors: tfjs.Tensor[]) => void;

interface KernelFuncEngine {
  runKernelFunc(config: {
    forwardFunc: (backend: unknown, save: SaveTensors) => Outputs;
    backwardsFunc: (dy: Outputs, saved: tfjs.Tensor[]) => Record<string, () => tfjs.Tensor>;
    inputs: Record<string, tfjs.Tensor>;
  }): Outputs;
}

/**
 * Runs `forward` on `inputs` as one op of the gradient tape. Inside `forward`, tfjs ops are not
 * recorded, so it may compute however it likes (typed arrays included).
 */
export function runCustomOp<T extends Outputs, I extends string>(
  tf: Tf,
  inputs: Record<I, tfjs.Tensor>,
  forward: (save: SaveTensors) => CustomOpResult<T, I>,
): T {
  const engine = tf.engine() as unknown as KernelFuncEngine;
  let gradient: GradientThunks<I, T> | undefined;
  return engine.runKernelFunc({
    forwardFunc: (_backend, save) => {
      const result = forward(save);
      gradient = result.gradient;
      return result.value;
    },
    // The engine hands back one dy per output of forwardFunc: the shape of T.
    backwardsFunc: (dy, saved) => (gradient as GradientThunks<I, T>)(dy as T, saved),
    inputs,
  }) as T;
}
