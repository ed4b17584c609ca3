/**
 * Float arrays handed back once the tensor holding them is disposed of, for the next batch's.
 * A fresh array of megabytes costs its page faults and zeroing each time (~3 ms for the 8 MB of
 * a scoring batch's LSTM states, against ~0.3 ms to refill one already touched), and leaves V8
 * that much garbage to collect.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { lazyTensor } from './lazy-tensor.js';
import { rememberValues } from './values.js';

export class RecycledFloats {
  private readonly free: ArrayBuffer[] = [];

  /** Keeps at most `most` arrays handed back: a bidirectional layer's batch holds three at once. */
  constructor(private readonly most = 4) {}

  /** An array of `length` floats, the values of whatever used it before; its buffer may be longer. */
  take(length: number): Float32Array {
    // The smallest that fits: a larger one may serve a larger request next.
    let index = -1;
    this.free.forEach((buffer, at) => {
      if (buffer.byteLength >= 4 * length && (index < 0 || buffer.byteLength < this.free[index].byteLength)) index = at;
    });
    if (index < 0) return new Float32Array(length);
    const [buffer] = this.free.splice(index, 1);
    return new Float32Array(buffer, 0, length);
  }

  /**
   * `values`, an array {@link take} gave, as a tensor made a backend's only if a tfjs op reads it.
   * The array comes back here once the tensor is disposed of, unless something outside the
   * kernels (a backend, `dataSync`) was handed it: then it is theirs, and no copy was made for
   * them. Kernels read the array itself (`valuesOf`).
   */
  tensor<R extends tfjs.Rank>(tf: Tf, values: Float32Array, shape: tfjs.ShapeMap[R]): tfjs.Tensor<R> {
    let handedOut = false;
    const read = (): Float32Array => {
      handedOut = true;
      return values;
    };
    return rememberValues(
      lazyTensor<R>(tf, shape, read, () => {
        if (!handedOut) this.give(values);
      }),
      values,
    );
  }

  /** Hands `array` back: nothing may read or write it after. */
  give(array: Float32Array): void {
    if (!(array.buffer instanceof ArrayBuffer)) return;
    this.free.push(array.buffer);
    // The largest are kept: they serve any batch.
    if (this.free.length > this.most) this.free.sort((a, b) => b.byteLength - a.byteLength).pop();
  }
}
