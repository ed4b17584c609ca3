/**
 * Reading tensors back as typed arrays, at most once each. On wasm every `dataSync` copies the
 * whole tensor out of the backend's heap (~3 ms for a [64, 230, 100] batch); the attention ops
 * read the same token representations several times per step, and the embedding lookup already
 * holds its output's values.
 */
import type * as tfjs from '@tensorflow/tfjs';

const known = new WeakMap<tfjs.Tensor, Float32Array>();

/** The float32 values of `tensor`; a tensor's values never change, so they are kept with it. */
export function valuesOf(tensor: tfjs.Tensor): Float32Array {
  let values = known.get(tensor);
  if (values === undefined) {
    values = tensor.dataSync() as Float32Array;
    known.set(tensor, values);
  }
  return values;
}

/** Records values computed on typed arrays for the tensor made from them. */
export function rememberValues<T extends tfjs.Tensor>(tensor: T, values: Float32Array): T {
  known.set(tensor, values);
  return tensor;
}
