/**
 * A synthetic sentiment dataset for fast tests and demos: reviews of neutral filler words whose
 * label is decided by a few planted words of the label's family ("excellent", "superb", … or
 * "awful", "dreadful", …). A model that attends to the planted words solves it; one that
 * averages everything still can, but less surely.
 */
import { DataError } from '../errors.js';
import type { Example, LabelledCorpus, SyntheticCorpusOptions } from '../plugin-api.js';
import { deriveSeed, mulberry32, randomInt, type Random } from './random.js';
import { splitCorpus } from './split.js';

export const SYNTHETIC_LABELS = ['neg', 'pos'] as const;

export const NEGATIVE_WORDS = ['awful', 'terrible', 'dreadful', 'horrible', 'boring', 'dull', 'worst', 'poor', 'bad', 'mediocre'] as const;
export const POSITIVE_WORDS = ['excellent', 'superb', 'wonderful', 'brilliant', 'great', 'amazing', 'best', 'fine', 'good', 'delightful'] as const;
export const FILLER_WORDS = [
  'the', 'a', 'movie', 'film', 'plot', 'story', 'actor', 'actress', 'scene', 'camera', 'director', 'script',
  'was', 'is', 'and', 'of', 'to', 'in', 'with', 'this', 'that', 'it', 'on', 'for', 'as', 'at', 'by', 'from',
  'character', 'ending', 'music', 'score', 'cast', 'role', 'dialogue', 'screen', 'minutes', 'hour', 'night',
  'city', 'house', 'car', 'dog', 'friend', 'family', 'war', 'love', 'time', 'year', 'day', 'world', 'life',
  'some', 'many', 'every', 'other', 'first', 'last', 'next', 'old', 'new', 'young', 'long', 'short',
  'watched', 'saw', 'seemed', 'felt', 'went', 'came', 'made', 'took', 'said', 'told', 'played', 'showed',
  'there', 'here', 'then', 'when', 'while', 'after', 'before', 'again', 'also', 'still', 'just', 'very',
  'he', 'she', 'they', 'we', 'his', 'her', 'their', 'our', 'who', 'which', 'what', 'where',
] as const;

/** Every word a synthetic review can contain, for embeddings that must cover them all. */
export const SYNTHETIC_VOCABULARY: readonly string[] = [...FILLER_WORDS, ...NEGATIVE_WORDS, ...POSITIVE_WORDS, '.'];

export type SyntheticOptions = SyntheticCorpusOptions;

/** A balanced, deterministic corpus: the same options give the same reviews. */
export function createSyntheticCorpus(options: SyntheticOptions): LabelledCorpus {
  if (options.maxLength < options.minLength) {
    throw new DataError('data-bad-params', `data.max_length (${options.maxLength}) is below data.min_length (${options.minLength}); set max_length ≥ min_length`);
  }
  const train = makeReviews(options.size, options, mulberry32(deriveSeed(options.seed, 'synthetic-train')), 'train');
  const test = makeReviews(options.testSize, options, mulberry32(deriveSeed(options.seed, 'synthetic-test')), 'test');
  return splitCorpus({ labels: SYNTHETIC_LABELS, train, test }, { valFraction: options.valFraction, seed: options.seed });
}

function makeReviews(count: number, options: SyntheticOptions, random: Random, split: string): Example[] {
  return Array.from({ length: count }, (_, index) => {
    const label = index % 2;
    return { id: `${split}/${index}`, text: makeReview(label, options, random), label };
  });
}

function makeReview(label: number, options: SyntheticOptions, random: Random): string {
  const length = options.minLength + randomInt(random, options.maxLength - options.minLength + 1);
  const words = Array.from({ length }, () => FILLER_WORDS[randomInt(random, FILLER_WORDS.length)] as string);
  const family = label === 1 ? POSITIVE_WORDS : NEGATIVE_WORDS;
  for (let k = 0; k < Math.min(options.planted, length); k++) {
    words[randomInt(random, length)] = family[randomInt(random, family.length)];
  }
  return `${words.join(' ')} .`;
}
