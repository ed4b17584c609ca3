/**
 * Tensors whose values are computed only when something reads them. An embedding lookup of a
 * frozen table is a [batch, time, dim] tensor of ~6 MB per training batch (~40 MB per scoring
 * batch), and the ops downstream of it in the shipped models (attention kernels, recurrent layers
 * over distinct words) read the table's rows themselves, never the tensor: writing its values
 * into the backend's memory cost ~1 ms of a 2–3 ms step.
 *
 * Such a tensor lives on a backend of its own, as tfjs tensors can live on any backend: the first
 * kernel of another backend that reads it makes tfjs's engine move it there (`moveData`, which
 * reads it here), and `dataSync()` reads it here. A tfjs op on it is therefore as correct as on
 * any tensor, and pays what the eager tensor would have cost, once.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';

type DataId = object;

/**
 * The methods tfjs's engine calls on the backend a tensor lives on (`engine.ts`: readSync, read,
 * and moveData's refCount and disposeData). The engine counts a tensor's references itself and
 * asks a backend to count only for the backend's own kernels, which this one has none of.
 */
class LazyBackend {
  private readonly data = new WeakMap<DataId, { readonly compute: () => Float32Array; readonly disposed?: () => void }>();

  add(compute: () => Float32Array, disposed?: () => void): DataId {
    const dataId = {};
    this.data.set(dataId, { compute, disposed });
    return dataId;
  }

  readSync(dataId: DataId): Float32Array {
    const data = this.data.get(dataId);
    if (data === undefined) throw new Error('a lazily computed tensor was read after it was disposed');
    return data.compute();
  }

  read(dataId: DataId): Promise<Float32Array> {
    return Promise.resolve(this.readSync(dataId));
  }

  refCount(dataId: DataId): number {
    return this.data.has(dataId) ? 1 : 0;
  }

  /** The engine disposes of the tensor, or moves its data to another backend (after reading it here). */
  disposeData(dataId: DataId): boolean {
    const disposed = this.data.get(dataId)?.disposed;
    this.data.delete(dataId);
    disposed?.();
    return true;
  }
}

interface TensorMakingEngine {
  makeTensorFromDataId(dataId: DataId, shape: number[], dtype: 'float32', backend: unknown): tfjs.Tensor;
}

const backends = new WeakMap<object, LazyBackend>();

/**
 * A float32 tensor of `shape` whose values are `compute()`'s, called each time they are read (at
 * most once per backend move); `disposed` runs when its data leaves this backend, disposed of or
 * moved (a move reads the values first).
 */
export function lazyTensor<R extends tfjs.Rank>(tf: Tf, shape: tfjs.ShapeMap[R], compute: () => Float32Array, disposed?: () => void): tfjs.Tensor<R> {
  const engine = tf.engine();
  let backend = backends.get(engine);
  if (backend === undefined) {
    backend = new LazyBackend();
    backends.set(engine, backend);
  }
  const tensorEngine = engine as unknown as TensorMakingEngine;
  return tensorEngine.makeTensorFromDataId(backend.add(compute, disposed), [...(shape as number[])], 'float32', backend) as tfjs.Tensor<R>;
}
