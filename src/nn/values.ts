/**
 * Reading tensors back as typed arrays, at most once each. On wasm every `dataSync` copies the
 * whole tensor out of the backend's heap (~3 ms for a [64, 230, 100] batch); the attention ops
 * read the same token representations several times per step, and a batch's ids and mask are
 * arrays before they are tensors. Values are kept by the tensor's data, which tensors made by
 * `reshape` share and which never changes (a variable's `assign` gives it new data).
 */
import type * as tfjs from '@tensorflow/tfjs';

const known = new WeakMap<tfjs.DataId, Float32Array>();
const knownIds = new WeakMap<tfjs.DataId, Int32Array>();

/** The float32 values of `tensor`; a tensor's values never change, so they are kept with it. */
export function valuesOf(tensor: tfjs.Tensor): Float32Array {
  let values = known.get(tensor.dataId);
  if (values === undefined) {
    values = tensor.dataSync() as Float32Array;
    known.set(tensor.dataId, values);
  }
  return values;
}

/** The values of an int32 tensor (token ids), kept with it as {@link valuesOf} keeps floats. */
export function idsOf(tensor: tfjs.Tensor): Int32Array {
  let ids = knownIds.get(tensor.dataId);
  if (ids === undefined) {
    const read = tensor.dataSync();
    ids = read instanceof Int32Array ? read : Int32Array.from(read);
    knownIds.set(tensor.dataId, ids);
  }
  return ids;
}

/** Records values computed on typed arrays for the tensor made from them. */
export function rememberValues<T extends tfjs.Tensor>(tensor: T, values: Float32Array): T {
  known.set(tensor.dataId, values);
  return tensor;
}

/** Records the ids an int32 tensor was made from. */
export function rememberIds<T extends tfjs.Tensor>(tensor: T, ids: Int32Array): T {
  knownIds.set(tensor.dataId, ids);
  return tensor;
}
