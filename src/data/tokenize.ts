/**
 * The tokeniser, compatible with the vocabulary of GloVe 6B (Wikipedia + Gigaword, tokenised with
 * the Stanford PTB tokeniser): lower-case; `<br />` removed; punctuation as tokens; clitics split
 * as in the PTB (`don't` → `do n't`, `can't` → `ca n't`, `it's` → `it 's`, `we'll` → `we 'll`);
 * hyphenated words (`sci-fi`) and numbers (`3.5`, `1,000`) kept whole; runs of dots → `...`;
 * `’` and `´` read as apostrophes; C1 control characters dropped.
 *
 * One pass over the text with a character-class table. {@link forEachToken} reports tokens as
 * ranges of the lower-cased text, so that a caller that only looks tokens up (see
 * `TokenInterner`) allocates nothing per token.
 */

const enum CharClass {
  Other = 0,
  Space = 1,
  Word = 2,
  Apostrophe = 3,
  Hyphen = 4,
  Period = 5,
  Comma = 6,
  Digit = 7,
}

const ASCII_CLASS = buildAsciiClasses();

function buildAsciiClasses(): Uint8Array {
  const classes = new Uint8Array(128).fill(CharClass.Other);
  for (const code of [9, 10, 11, 12, 13, 32]) classes[code] = CharClass.Space;
  for (let code = 97; code <= 122; code++) classes[code] = CharClass.Word;
  for (let code = 48; code <= 57; code++) classes[code] = CharClass.Digit;
  classes[39] = CharClass.Apostrophe;
  classes[45] = CharClass.Hyphen;
  classes[46] = CharClass.Period;
  classes[44] = CharClass.Comma;
  return classes;
}

/** Class of a UTF-16 code unit; NaN (reading past the end) is a space. */
function classOf(code: number): CharClass {
  if (code < 128) return ASCII_CLASS[code];
  if (!(code >= 128)) return CharClass.Space;
  if (code === 0x2019) return CharClass.Apostrophe;
  // C1 controls come from Windows-1252 punctuation mis-decoded upstream; they carry nothing.
  if (code <= 0x9f || code === 0xa0 || (code >= 0x2000 && code <= 0x200b) || code === 0x3000 || code === 0xfeff) return CharClass.Space;
  // Latin-1 and general punctuation, arrows, symbols: one token each; letters of any script: words.
  if (code < 0xc0 || code === 0xd7 || code === 0xf7 || (code >= 0x2000 && code <= 0x2bff)) return CharClass.Other;
  return CharClass.Word;
}

function isWordLike(charClass: CharClass): boolean {
  return charClass === CharClass.Word || charClass === CharClass.Digit;
}

/** Clitics split off the word before them, as PTB does (`n't` is handled apart: it takes the `n`). */
const CLITICS = new Set(["'s", "'m", "'d", "'ll", "'re", "'ve"]);

/** Receives each token as `source.slice(start, end)` (not sliced, to spare the allocation). */
export type TokenSink = (source: string, start: number, end: number) => void;

/** Tokens of `text` in order; see the module comment for the rules. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  forEachToken(text, (source, start, end) => tokens.push(source.slice(start, end)));
  return tokens;
}

/** Calls `sink` with each token of `text`, in order. */
export function forEachToken(text: string, sink: TokenSink): void {
  const lower = normalise(text);
  const length = lower.length;
  let i = 0;
  while (i < length) {
    const code = lower.charCodeAt(i);
    const charClass = classOf(code);
    if (charClass === CharClass.Space) i++;
    else if (isWordLike(charClass)) i = readWord(lower, i, sink);
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

/** Reads the word starting at `start`, pushes it (split from its clitic) and returns the index after it. */
function readWord(text: string, start: number, sink: TokenSink): number {
  let end = start + 1;
  let apostrophe = -1;
  for (;;) {
    const charClass = classOf(text.charCodeAt(end));
    if (isWordLike(charClass)) {
      end++;
      continue;
    }
    const nextClass = classOf(text.charCodeAt(end + 1));
    const joinsNumber = (charClass === CharClass.Period || charClass === CharClass.Comma)
      && nextClass === CharClass.Digit && classOf(text.charCodeAt(end - 1)) === CharClass.Digit;
    const joins = (charClass === CharClass.Hyphen || charClass === CharClass.Apostrophe) && isWordLike(nextClass);
    if (!joins && !joinsNumber) break;
    if (charClass === CharClass.Apostrophe) apostrophe = end;
    end += 2;
  }
  if (apostrophe < 0) sink(text, start, end);
  else emitWithClitic(text, start, apostrophe, end, sink);
  return end;
}

/** `it's` → `it 's`, `don't` → `do n't`; other inner apostrophes (`o'neil`) stay in the word. */
function emitWithClitic(text: string, start: number, apostrophe: number, end: number, sink: TokenSink): void {
  const suffix = end - apostrophe <= 3 ? text.slice(apostrophe, end) : '';
  if (CLITICS.has(suffix)) {
    sink(text, start, apostrophe);
    sink(text, apostrophe, end);
  } else if (suffix === "'t" && apostrophe - start >= 2 && text.charCodeAt(apostrophe - 1) === 110 /* n */) {
    sink(text, start, apostrophe - 1);
    sink(text, apostrophe - 1, end);
  } else {
    sink(text, start, end);
  }
}

/** One punctuation token; runs of dots become `...` and runs of hyphens `--`, as in GloVe. */
function readPunctuation(text: string, start: number, charClass: CharClass, sink: TokenSink): number {
  if (charClass === CharClass.Period || charClass === CharClass.Hyphen) {
    const code = text.charCodeAt(start);
    let end = start + 1;
    while (text.charCodeAt(end) === code) end++;
    if (end - start === 1) sink(text, start, end);
    else if (charClass === CharClass.Period) sink(ELLIPSIS, 0, ELLIPSIS.length);
    else sink(DASH, 0, DASH.length);
    return end;
  }
  sink(text, start, start + 1);
  return start + 1;
}

const ELLIPSIS = '...';
const DASH = '--';
