/**
 * Scored reviews as the reports show them, and the choice of which ones to show: the most
 * confident right and wrong predictions, and the most and least spread-out attention.
 */
import { DataError } from '../errors.js';
import { attentionEntropy, normalizeEntropy } from './entropy.js';
import type { ReviewFaithfulness } from './faithfulness.js';

/**
 * One review with the model's attention and prediction. For recurrent encoders the attention is
 * over states; it is shown at the position of each state's token all the same.
 */
export interface AttentionExample {
  readonly id?: string;
  /** The tokens the model attended over (after truncation), in order. */
  readonly tokens: readonly string[];
  /** One weight per token, summing to 1 (the pooler's weights without padding). */
  readonly weights: ArrayLike<number>;
  /** Multi-head attention: each head's weights, one per token. */
  readonly heads?: readonly ArrayLike<number>[];
  /** Name of the predicted class. */
  readonly predicted: string;
  /** The model's probability of the predicted class. */
  readonly probability: number;
  /** Name of the true class, when known (absent for text typed at `explain`). */
  readonly label?: string;
  /** Attention vs gradient × input, when measured for this review. */
  readonly faithfulness?: ReviewFaithfulness;
  /** Words of the whole review when it was cut to `tokens.length` (the run's `max_length`). */
  readonly fullLength?: number;
}

/** What choosing the reviews to show reads of each: its prediction and attention, not its words. */
export type ScoredReview = Pick<AttentionExample, 'id' | 'weights' | 'predicted' | 'probability' | 'label'>;

/** A titled group of examples in a report. */
export interface ExampleSection<Review extends ScoredReview = AttentionExample> {
  /** Anchor id, e.g. `confident-wrong`. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly examples: readonly Review[];
}

/** Throws unless every weight vector has one weight per token. */
export function checkExample(example: AttentionExample): void {
  const vectors = [example.weights, ...(example.heads ?? [])];
  const bad = vectors.findIndex((weights) => weights.length !== example.tokens.length);
  if (bad >= 0) {
    const what = bad === 0 ? 'weights' : `heads[${bad - 1}]`;
    throw new DataError(
      'report-example-shape',
      `review ${example.id ?? '(no id)'}: ${what} has ${vectors[bad].length} values for ${example.tokens.length} tokens; ` +
        'expected one weight per token (drop the padding positions)',
    );
  }
}

/** Whether the prediction matches the true label; undefined when the label is unknown. */
export function isCorrect(example: Pick<AttentionExample, 'label' | 'predicted'>): boolean | undefined {
  return example.label === undefined ? undefined : example.label === example.predicted;
}

/** H and H / log n of the example's attention (n: its weights, one per token). */
export function exampleEntropy(example: Pick<AttentionExample, 'weights'>): { entropy: number; normalized: number } {
  const entropy = attentionEntropy(example.weights);
  return { entropy, normalized: normalizeEntropy(entropy, example.weights.length) };
}

/** Weights span orders of magnitude (1/n for long reviews); three significant digits keep them apart. */
export function formatWeight(weight: number): string {
  return weight.toPrecision(3);
}

export interface AttendedToken {
  readonly token: string;
  readonly position: number;
  readonly weight: number;
}

/** The k tokens with the largest weights, heaviest first (earlier position first on ties). */
export function topAttended(tokens: readonly string[], weights: ArrayLike<number>, k: number): AttendedToken[] {
  return tokens
    .map((token, position) => ({ token, position, weight: weights[position] }))
    .sort((a, b) => b.weight - a.weight || a.position - b.position)
    .slice(0, k);
}

/** A distinct word of a review: its summed weight over its occurrences. */
export interface AttendedWord {
  readonly token: string;
  readonly weight: number;
  readonly count: number;
}

/** The k distinct words with the largest summed weight, heaviest first (earlier first on ties). */
export function topWords(tokens: readonly string[], weights: ArrayLike<number>, k: number): AttendedWord[] {
  const words = new Map<string, { token: string; weight: number; count: number; first: number }>();
  tokens.forEach((token, position) => {
    const word = words.get(token) ?? { token, weight: 0, count: 0, first: position };
    word.weight += weights[position];
    word.count++;
    words.set(token, word);
  });
  return [...words.values()]
    .sort((a, b) => b.weight - a.weight || a.first - b.first)
    .slice(0, k)
    .map(({ token, weight, count }) => ({ token, weight, count }));
}

/** `cut after word 400 of 812`, or undefined when the model saw the whole review. */
export function cutNote(example: AttentionExample): string | undefined {
  const full = example.fullLength;
  return full !== undefined && full > example.tokens.length ? `cut after word ${example.tokens.length} of ${full}` : undefined;
}

/**
 * Picks the reviews a report shows from all scored ones: the most confident right and wrong
 * predictions, and the highest and lowest entropy. Entropy is ranked as H / log n, because raw H
 * grows with length and would only pick the longest and shortest reviews; reviews of one token
 * (no choice to make) are left out of those two. Only the words of the reviews chosen are needed,
 * later, to show them: a whole test split is ranked without spelling out its words.
 */
export function selectExamples<Review extends ScoredReview>(reviews: readonly Review[], perSection = 3): ExampleSection<Review>[] {
  const byConfidence = (a: Review, b: Review) => b.probability - a.probability;
  const withEntropy = reviews
    .filter((review) => review.weights.length > 1)
    .map((review) => ({ review, normalized: exampleEntropy(review).normalized }))
    .sort((a, b) => b.normalized - a.normalized);
  const highest = withEntropy.slice(0, perSection).map((entry) => entry.review);
  const lowest = withEntropy.slice(Math.max(0, withEntropy.length - perSection)).reverse().map((entry) => entry.review);
  return [
    {
      id: 'confident-right',
      title: 'Most confident right',
      description: 'Correct predictions made with the highest probability.',
      examples: reviews.filter((review) => isCorrect(review) === true).sort(byConfidence).slice(0, perSection),
    },
    {
      id: 'confident-wrong',
      title: 'Most confident wrong',
      description: 'Wrong predictions made with the highest probability: where attention may show what misled the model.',
      examples: reviews.filter((review) => isCorrect(review) === false).sort(byConfidence).slice(0, perSection),
    },
    {
      id: 'highest-entropy',
      title: 'Highest entropy',
      description: 'Attention spread most evenly over the review (largest H / log n).',
      examples: highest,
    },
    {
      id: 'lowest-entropy',
      title: 'Lowest entropy',
      description: 'Attention concentrated on the fewest words (smallest H / log n).',
      examples: lowest,
    },
  ];
}
