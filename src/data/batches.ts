/**
 * Mini-batches of token ids, padded to the longest example of the batch, with optional length
 * bucketing (examples of similar length together, so that less is padding) and seeded shuffling.
 */
import { mulberry32, shuffleInPlace } from './random.js';

/** One split, encoded: example i's ids are `ids[offsets[i] .. offsets[i + 1])`. */
export interface EncodedSplit {
  readonly ids: Int32Array;
  /** [size + 1] */
  readonly offsets: Int32Array;
  /** [size] label indices */
  readonly labels: Int32Array;
  readonly size: number;
}

export interface BatchOptions {
  readonly batchSize: number;
  /** Longer examples are cut to their first `maxLength` tokens. */
  readonly maxLength: number;
  readonly shuffle: boolean;
  readonly seed: number;
  /** Sort by length within chunks of ~50 batches, then shuffle the batches' order. */
  readonly bucketByLength: boolean;
}

export interface Batch {
  /** int32 [size, time], 0 (PAD) after each example's end */
  readonly ids: Int32Array;
  /** float32 [size, time], 1 on real tokens */
  readonly mask: Float32Array;
  /** [size] real tokens per row (≤ time) */
  readonly lengths: Int32Array;
  /** [size] */
  readonly labels: Int32Array;
  readonly size: number;
  /** Longest example of the batch, at most `maxLength` (and at least 1). */
  readonly time: number;
  /** Which examples of the split, by index, in row order. */
  readonly indices: Int32Array;
}

const BATCHES_PER_BUCKET = 50;

export function* iterateBatches(split: EncodedSplit, options: BatchOptions): Generator<Batch> {
  for (const indices of batchOrder(split, options)) yield makeBatch(split, indices, options.maxLength);
}

export interface ScoringBatchOptions {
  /** Most reviews per batch. */
  readonly maxRows: number;
  /** Most token positions per batch (rows × the batch's longest review). */
  readonly maxTokens: number;
  /** Longer examples are cut to their first `maxLength` tokens. */
  readonly maxLength: number;
}

/**
 * Batches for scoring a whole split: every review once, all sorted by length (so hardly any
 * position is padding), packed up to `maxRows` reviews and `maxTokens` positions. The token bound
 * keeps a batch's activations ([rows, time, dim]) small enough to stay in the processor's caches:
 * scoring runs several times faster on batches of a few thousand positions than on [256, 400].
 * Each batch's `indices` say where its rows go in the split's order.
 */
export function* scoringBatches(split: EncodedSplit, options: ScoringBatchOptions): Generator<Batch> {
  const length = (index: number) => Math.min(split.offsets[index + 1] - split.offsets[index], options.maxLength);
  const order = Int32Array.from({ length: split.size }, (_, index) => index).sort((a, b) => length(a) - length(b) || a - b);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    // Sorted ascending: the row being added is the batch's longest.
    while (end < order.length && end - start < options.maxRows && (end - start + 1) * Math.max(1, length(order[end])) <= options.maxTokens) end++;
    yield makeBatch(split, order.subarray(start, end), options.maxLength);
    start = end;
  }
}

/** Number of batches `iterateBatches` yields for `split`. */
export function batchCount(split: EncodedSplit, batchSize: number): number {
  return Math.ceil(split.size / batchSize);
}

function batchOrder(split: EncodedSplit, options: BatchOptions): Int32Array[] {
  const random = mulberry32(options.seed);
  const order = Int32Array.from({ length: split.size }, (_, index) => index);
  if (options.shuffle) shuffleInPlace(order, random);
  if (options.bucketByLength) sortWithinChunks(order, split, options.batchSize * BATCHES_PER_BUCKET);
  const batches: Int32Array[] = [];
  for (let start = 0; start < order.length; start += options.batchSize) batches.push(order.subarray(start, start + options.batchSize));
  // Sorted chunks would otherwise feed short batches first, then long ones.
  if (options.bucketByLength && options.shuffle) shuffleInPlace(batches, random);
  return batches;
}

function sortWithinChunks(order: Int32Array, split: EncodedSplit, chunkSize: number): void {
  const length = (index: number) => split.offsets[index + 1] - split.offsets[index];
  for (let start = 0; start < order.length; start += chunkSize) {
    order.subarray(start, start + chunkSize).sort((a, b) => length(a) - length(b) || a - b);
  }
}

function makeBatch(split: EncodedSplit, indices: Int32Array, maxLength: number): Batch {
  const size = indices.length;
  const lengths = new Int32Array(size);
  const labels = new Int32Array(size);
  let time = 1;
  for (let row = 0; row < size; row++) {
    const example = indices[row];
    lengths[row] = Math.min(split.offsets[example + 1] - split.offsets[example], maxLength);
    labels[row] = split.labels[example];
    time = Math.max(time, lengths[row]);
  }
  const ids = new Int32Array(size * time);
  const mask = new Float32Array(size * time);
  for (let row = 0; row < size; row++) {
    const start = split.offsets[indices[row]];
    ids.set(split.ids.subarray(start, start + lengths[row]), row * time);
    mask.fill(1, row * time, row * time + lengths[row]);
  }
  return { ids, mask, lengths, labels, size, time, indices: Int32Array.from(indices) };
}
