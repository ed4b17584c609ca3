/**
 * The tokeniser, compatible with the vocabulary of GloVe 6B (Wikipedia + Gigaword, tokenised with
 * the Stanford PTB tokeniser): lower-case; `<br />` removed; punctuation as tokens; clitics split
 * as in the PTB (`don't` → `do n't`, `can't` → `ca n't`, `it's` → `it 's`, `we'll` → `we 'll`);
 * hyphenated words (`sci-fi`) and numbers (`3.5`, `1,000`) kept whole; runs of dots → `...`;
 * `’` and `´` read as apostrophes; C1 control characters dropped.
 *
 * One pass over the text with a table of the class of every UTF-16 code unit. {@link forEachToken}
 * reports tokens as ranges of the lower-cased text, with their hash computed along the way, so
 * that a caller that only looks tokens up (see `TokenMap`) allocates nothing per token and
 * hashes no character twice.
 *
 * It is the default tokenizer (the `glove` built-in); {@link tokenize} takes any other.
 */
import type { TokenSink, Tokenizer, TokenizerContext } from '../plugin-api.js';
import { hashRange, hashStep, TOKEN_HASH_SEED } from './token-hash.js';

/** Ordered so that the classes that can join two parts of a word, and the word-like ones, are ranges. */
const enum CharClass {
  Space = 0,
  Other = 1,
  Apostrophe = 2,
  Hyphen = 3,
  Period = 4,
  Comma = 5,
  Word = 6,
  Digit = 7,
}

const CHAR_CLASS = buildCharClasses();

function buildCharClasses(): Uint8Array {
  // Letters of any script (and surrogates, so emoji) are words.
  const classes = new Uint8Array(0x10000).fill(CharClass.Word);
  // ASCII, Latin-1 punctuation, general punctuation, arrows, symbols: one token each.
  classes.fill(CharClass.Other, 0, 0xc0).fill(CharClass.Other, 0x2000, 0x2c00);
  classes[0xd7] = classes[0xf7] = CharClass.Other;
  classes.fill(CharClass.Word, 0x61, 0x7b).fill(CharClass.Digit, 0x30, 0x3a);
  // C1 controls come from Windows-1252 punctuation mis-decoded upstream; they carry nothing.
  classes.fill(CharClass.Space, 0x09, 0x0e).fill(CharClass.Space, 0x80, 0xa1).fill(CharClass.Space, 0x2000, 0x200c);
  for (const code of [0x20, 0x3000, 0xfeff]) classes[code] = CharClass.Space;
  classes[0x27] = classes[0x2019] = CharClass.Apostrophe;
  classes[0x2d] = CharClass.Hyphen;
  classes[0x2e] = CharClass.Period;
  classes[0x2c] = CharClass.Comma;
  return classes;
}

/** Clitics split off the word before them, as PTB does (`n't` is handled apart: it takes the `n`). */
const CLITICS = new Set(["'s", "'m", "'d", "'ll", "'re", "'ve"]);

/** Tokens of `text` in order, as `tokenizer` cuts them (by default, with the rules of the module comment). */
export function tokenize(text: string, tokenizer: Tokenizer = GLOVE_TOKENIZER): string[] {
  const tokens: string[] = [];
  tokenizer.forEachToken(text, (source, start, end) => tokens.push(source.slice(start, end)));
  return tokens;
}

/** Calls `sink` with each token of `text`, in order. */
export function forEachToken(text: string, sink: TokenSink): void {
  const lower = normalise(text);
  const length = lower.length;
  let i = 0;
  while (i < length) {
    const code = lower.charCodeAt(i);
    const charClass = CHAR_CLASS[code];
    if (charClass === CharClass.Space) i++;
    else if (charClass >= CharClass.Word) i = readWord(lower, i, sink);
    else if (code === 60 /* < */ && isLineBreakTag(lower, i)) i = lower.indexOf('>', i) + 1;
    else i = readPunctuation(lower, i, charClass, sink);
  }
}

/** Lower case; the right single quote and the acute accent, both used as apostrophes, become `'`. */
function normalise(text: string): string {
  let lower = text.toLowerCase();
  if (lower.includes('\u2019')) lower = lower.replaceAll('\u2019', "'");
  if (lower.includes('\u00b4')) lower = lower.replaceAll('\u00b4', "'");
  return lower;
}

/** `<br>`, `<br/>`, `<br />`: IMDB's line breaks. */
function isLineBreakTag(text: string, start: number): boolean {
  if (text.charCodeAt(start + 1) !== 98 || text.charCodeAt(start + 2) !== 114) return false;
  let i = start + 3;
  while (text.charCodeAt(i) === 32) i++;
  if (text.charCodeAt(i) === 47) i++;
  return text.charCodeAt(i) === 62;
}

/**
 * Reads the word starting at `start`, pushes it (split from its clitic) and returns the index after
 * it. A hyphen or apostrophe joins two word-like characters, a period or comma two digits.
 */
function readWord(text: string, start: number, sink: TokenSink): number {
  let hash = hashStep(TOKEN_HASH_SEED, text.charCodeAt(start));
  let end = start + 1;
  let apostrophe = -1;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    const charClass = CHAR_CLASS[code];
    if (charClass >= CharClass.Word) {
      hash = hashStep(hash, code);
      end++;
      continue;
    }
    if (!joinsWord(text, end, charClass)) break;
    if (charClass === CharClass.Apostrophe) apostrophe = end;
    hash = hashStep(hashStep(hash, code), text.charCodeAt(end + 1));
    end += 2;
  }
  if (apostrophe < 0) sink(text, start, end, hash);
  else emitWithClitic(text, start, apostrophe, end, hash, sink);
  return end;
}

/** Whether the character at `at`, of class `charClass`, joins the word before it to the character after it. */
function joinsWord(text: string, at: number, charClass: CharClass): boolean {
  if (charClass < CharClass.Apostrophe || at + 1 === text.length) return false;
  const nextClass = CHAR_CLASS[text.charCodeAt(at + 1)];
  if (charClass <= CharClass.Hyphen) return nextClass >= CharClass.Word;
  return nextClass === CharClass.Digit && CHAR_CLASS[text.charCodeAt(at - 1)] === CharClass.Digit;
}

/** `it's` → `it 's`, `don't` → `do n't`; other inner apostrophes (`o'neil`) stay in the word. */
function emitWithClitic(text: string, start: number, apostrophe: number, end: number, hash: number, sink: TokenSink): void {
  const suffix = end - apostrophe <= 3 ? text.slice(apostrophe, end) : '';
  const isNegation = suffix === "'t" && apostrophe - start >= 2 && text.charCodeAt(apostrophe - 1) === 110 /* n */;
  const split = CLITICS.has(suffix) ? apostrophe : isNegation ? apostrophe - 1 : -1;
  if (split < 0) {
    sink(text, start, end, hash);
    return;
  }
  sink(text, start, split, hashRange(text, start, split));
  sink(text, split, end, hashRange(text, split, end));
}

/** One punctuation token; runs of dots become `...` and runs of hyphens `--`, as in GloVe. */
function readPunctuation(text: string, start: number, charClass: CharClass, sink: TokenSink): number {
  const code = text.charCodeAt(start);
  let end = start + 1;
  if (charClass === CharClass.Period || charClass === CharClass.Hyphen) {
    while (text.charCodeAt(end) === code) end++;
  }
  if (end - start === 1) sink(text, start, end, hashStep(TOKEN_HASH_SEED, code));
  else if (charClass === CharClass.Period) sink(ELLIPSIS, 0, ELLIPSIS.length, ELLIPSIS_HASH);
  else sink(DASH, 0, DASH.length, DASH_HASH);
  return end;
}

/** This module's rules as a {@link Tokenizer}. */
export const GLOVE_TOKENIZER: Tokenizer = { forEachToken };

/** What every tokenizer factory receives, in any thread. */
export const TOKENIZER_CONTEXT: TokenizerContext = { hashRange, glove: GLOVE_TOKENIZER };

const ELLIPSIS = '...';
const ELLIPSIS_HASH = hashRange(ELLIPSIS, 0, ELLIPSIS.length);
const DASH = '--';
const DASH_HASH = hashRange(DASH, 0, DASH.length);
