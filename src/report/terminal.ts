/**
 * Attention in the terminal: words shaded by weight with ANSI 256-colour backgrounds, or, when
 * colour is off (NO_COLOR, or output that is not a TTY), the top words marked `word[0.42]`.
 */
import { cutNote, exampleEntropy, formatWeight, isCorrect, topAttended, topWords } from './examples.js';
import type { AttentionExample } from './examples.js';
import { describeFaithfulness } from './faithfulness.js';
import type { FaithfulnessSummary } from './faithfulness.js';

/** Pale yellow to red: xterm-256 colours, from the least to the most attended shade. */
const SHADES = [230, 229, 223, 222, 221, 215, 214, 208, 202, 196];
/** Below this share of the review's largest weight a word stays unshaded, so the shades stand out. */
const UNSHADED_BELOW = 0.05;
const BLACK = 16;

export const DEFAULT_TOP_K = 5;

/** Colour follows https://no-color.org: off when NO_COLOR is set and not empty, or off a TTY. */
export function useColor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

export interface TerminalOptions {
  /** Shade with ANSI colours; otherwise mark the top words with their weights. */
  readonly color: boolean;
  /** Words listed (and, without colour, marked) as most attended. */
  readonly topK?: number;
  /** Line width to wrap the review at, in columns. */
  readonly width?: number;
}

/** Review text may hold escape sequences; shown raw they would restyle or move the terminal. */
function printable(token: string): string {
  return token.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}

function shade(weight: number, maxWeight: number): number | undefined {
  const relative = maxWeight > 0 ? weight / maxWeight : 0;
  if (relative < UNSHADED_BELOW) return undefined;
  return SHADES[Math.min(SHADES.length - 1, Math.floor(relative * SHADES.length))];
}

/** One display word: its text and its width in columns (escape codes take none). */
interface Word {
  readonly text: string;
  readonly columns: number;
}

function shadedWords(tokens: readonly string[], weights: ArrayLike<number>, options: TerminalOptions): Word[] {
  const maxWeight = Math.max(...Array.from(weights));
  const marked = new Set(topAttended(tokens, weights, options.topK ?? DEFAULT_TOP_K).map((entry) => entry.position));
  return tokens.map((token, position) => {
    const text = printable(token);
    if (!options.color) {
      const shown = marked.has(position) ? `${text}[${formatWeight(weights[position])}]` : text;
      return { text: shown, columns: shown.length };
    }
    const background = shade(weights[position], maxWeight);
    const styled = background === undefined ? text : `\x1b[48;5;${background};38;5;${BLACK}m${text}\x1b[0m`;
    return { text: styled, columns: text.length };
  });
}

function wrap(words: readonly Word[], width: number): string {
  const lines: string[] = [];
  let line: string[] = [];
  let used = 0;
  for (const word of words) {
    if (line.length > 0 && used + 1 + word.columns > width) {
      lines.push(line.join(' '));
      line = [];
      used = 0;
    }
    used += (line.length > 0 ? 1 : 0) + word.columns;
    line.push(word.text);
  }
  if (line.length > 0) lines.push(line.join(' '));
  return lines.join('\n');
}

/** The review's words, shaded (or marked) by attention, wrapped to `width` (default 100). */
export function shadeText(tokens: readonly string[], weights: ArrayLike<number>, options: TerminalOptions): string {
  return wrap(shadedWords(tokens, weights, options), options.width ?? 100);
}

/** `wonderful 0.421 · superb 0.103 (×2) · …`: each word once, its weights summed, heaviest first. */
export function formatTopWords(tokens: readonly string[], weights: ArrayLike<number>, k = DEFAULT_TOP_K): string {
  return topWords(tokens, weights, k)
    .map((word) => `${printable(word.token)} ${formatWeight(word.weight)}${word.count > 1 ? ` (×${word.count})` : ''}`)
    .join(' · ');
}

/** A review as `explain` prints it: prediction, top words, the shaded text, faithfulness if measured. */
export function formatExplanation(example: AttentionExample, options: TerminalOptions): string {
  const correct = isCorrect(example);
  const verdict = correct === undefined ? '' : correct ? ' ✓ right' : ' ✗ wrong';
  const truth = example.label === undefined ? '' : `, true ${printable(example.label)}`;
  const { entropy, normalized } = exampleEntropy(example);
  const lines = [
    `predicted ${printable(example.predicted)} (p = ${example.probability.toFixed(3)})${truth}${verdict}` +
      ` · H = ${entropy.toFixed(2)}, H/log n = ${normalized.toFixed(2)}, n = ${example.tokens.length}`,
    `top words: ${formatTopWords(example.tokens, example.weights, options.topK)}`,
    shadeText(example.tokens, example.weights, options),
  ];
  const cut = cutNote(example);
  if (cut) lines.push(`[… ${cut}: the model read no further]`);
  example.heads?.forEach((weights, head) => {
    lines.push(`head ${head + 1}: ${formatTopWords(example.tokens, weights, options.topK)}`);
  });
  if (example.faithfulness) {
    const { kendallTau, permutation } = example.faithfulness;
    lines.push(
      `τ(attention, gradient × input) = ${kendallTau.toFixed(2)} · ` +
        `|Δp| under ${permutation.deltas.length} attention permutations: median ${permutation.median.toFixed(3)}, max ${permutation.max.toFixed(3)}`,
    );
  }
  return lines.join('\n');
}

/** The faithfulness summary as terminal lines. */
export function formatFaithfulnessSummary(summary: FaithfulnessSummary): string {
  return ['Is attention explanation? (Jain & Wallace 2019)', ...describeFaithfulness(summary).map((line) => `  ${line}`)].join('\n');
}
