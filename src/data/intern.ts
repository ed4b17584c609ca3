/**
 * Texts as ids local to them: each distinct token takes the next id when first met. Tokenising
 * once into these ids leaves the choice of the final ids (vocabulary or UNK) to one pass over the
 * distinct tokens (~10⁵ on IMDB) rather than over every occurrence (~10⁷), and lets the held-out
 * splits be tokenised in a worker thread while the training split shapes the vocabulary.
 */
import { extname } from 'node:path';
import type { TokenSink, Tokenizer } from '../plugin-api.js';
import { runInThread } from '../thread.js';
import type { TokenizerSpec } from './token-plugin.js';
import { TokenMap } from './token-map.js';
import { GLOVE_TOKENIZER } from './tokenize.js';
import { grownCopy } from './typed-arrays.js';

export interface InternedTexts {
  /** Text i's ids are `ids[offsets[i] .. offsets[i + 1])`, cut to its first `maxLength` tokens. */
  readonly ids: Int32Array;
  /** [texts + 1] */
  readonly offsets: Int32Array;
  /** [texts] Tokens of each text before the cut at `maxLength`. */
  readonly fullLengths: Int32Array;
  /** The token of each id: the distinct tokens in order of first sight. */
  readonly tokens: string[];
  /** Occurrences of each id, counting those past `maxLength`. */
  readonly counts: Int32Array;
}

/** `texts` cut by `tokenizer` (the GloVe tokenizer by default) and interned. */
export function internTokens(texts: readonly string[], maxLength: number, tokenizer: Tokenizer = GLOVE_TOKENIZER): InternedTexts {
  return new Interner(maxLength, tokenizer).intern(texts);
}

/** What the worker thread of {@link internInThread} is sent. */
export interface InternRequest {
  readonly texts: readonly string[];
  readonly maxLength: number;
  /** The tokenizer the thread builds for itself; the GloVe tokenizer when absent. */
  readonly tokenizer?: TokenizerSpec;
}

const WORKER_ENTRY = new URL(`./intern-worker${extname(import.meta.url)}`, import.meta.url);

/** `internTokens`, computed in a worker thread with the tokenizer `tokenizer` rebuilds. */
export function internInThread(texts: readonly string[], maxLength: number, tokenizer?: TokenizerSpec): Promise<InternedTexts> {
  return runInThread<InternRequest, InternedTexts>(WORKER_ENTRY, { texts, maxLength, tokenizer });
}

class Interner {
  private readonly map = new TokenMap();
  private readonly tokens: string[] = [];
  private counts = new Int32Array(1 << 14);
  private ids = new Int32Array(0);
  private used = 0;
  private textLength = 0;

  constructor(
    private readonly maxLength: number,
    private readonly tokenizer: Tokenizer,
  ) {}

  intern(texts: readonly string[]): InternedTexts {
    const offsets = new Int32Array(texts.length + 1);
    const fullLengths = new Int32Array(texts.length);
    this.ids = new Int32Array(estimatedTokens(texts, this.maxLength));
    texts.forEach((text, index) => {
      this.textLength = 0;
      this.tokenizer.forEachToken(text, this.addOccurrence);
      offsets[index + 1] = this.used;
      fullLengths[index] = this.textLength;
    });
    return { ids: this.ids.slice(0, this.used), offsets, fullLengths, tokens: this.tokens, counts: this.counts.slice(0, this.tokens.length) };
  }

  /** One sink for every text, so that the tokeniser's calls to it stay monomorphic. */
  private readonly addOccurrence: TokenSink = (source, start, end, hash) => {
    let id = this.map.get(source, start, end, hash);
    if (id < 0) id = this.firstSight(source, start, end, hash);
    this.counts[id]++;
    if (this.textLength++ >= this.maxLength) return;
    if (this.used === this.ids.length) this.ids = grownCopy(this.ids, this.used + 1);
    this.ids[this.used++] = id;
  };

  private firstSight(source: string, start: number, end: number, hash: number): number {
    const id = this.tokens.length;
    this.tokens.push(source.slice(start, end));
    this.map.set(source, start, end, hash, id);
    if (id === this.counts.length) this.counts = grownCopy(this.counts, id + 1);
    return id;
  }
}

/** Room for the ids of `texts` as cut: about one token per four characters (IMDB has 5.2). */
function estimatedTokens(texts: readonly string[], maxLength: number): number {
  let total = 1;
  for (const text of texts) total += Math.min(maxLength, Math.ceil(text.length / 4));
  return total;
}
