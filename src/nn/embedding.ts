/**
 * Embedding lookup. tfjs `gather` of 64×230 rows from a [20000, 100] matrix takes ~75 ms on wasm
 * (and its gradient builds a dense [vocab, dim] tensor), so a frozen table is copied row by row
 * from typed arrays instead: ~2 ms, and nothing on the gradient tape.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';

/** Tables already read back from the backend, so that each is read once per run. */
const frozenTables = new WeakMap<tfjs.Tensor, Float32Array>();

/** ids [batch, time] int32, table [vocab, dim] → [batch, time, dim]; trainable tables get gradients. */
export function embed(tf: Tf, ids: tfjs.Tensor2D, table: tfjs.Tensor2D | tfjs.Variable): tfjs.Tensor3D {
  if (table instanceof tf.Variable && table.trainable) return tf.gather(table, ids) as tfjs.Tensor3D;
  const [batch, time] = ids.shape;
  const dim = table.shape[1];
  const rows = readFrozenTable(table);
  const indices = ids.dataSync();
  const out = new Float32Array(batch * time * dim);
  for (let position = 0; position < indices.length; position++) {
    const row = indices[position] * dim;
    out.set(rows.subarray(row, row + dim), position * dim);
  }
  return tf.tensor3d(out, [batch, time, dim]);
}

function readFrozenTable(table: tfjs.Tensor2D): Float32Array {
  let rows = frozenTables.get(table);
  if (rows === undefined) {
    rows = table.dataSync() as Float32Array;
    frozenTables.set(table, rows);
  }
  return rows;
}
