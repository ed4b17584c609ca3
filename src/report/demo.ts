/**
 * A synthetic run for looking at the reports without training: attention that sharpens epoch by
 * epoch (as under an entropy regulariser) and reviews whose planted words draw the attention.
 * Used by `scripts/screenshot-report.ts` and by the report tests.
 */
import { mulberry32 } from '../data/random.js';
import type { Random } from '../data/random.js';
import type { EpochMetrics } from './charts.js';
import { batchEntropy, summarizeEpochEntropy } from './entropy.js';
import type { EpochEntropy } from './entropy.js';
import { selectExamples } from './examples.js';
import type { AttentionExample } from './examples.js';
import type { RunReportInput } from './html.js';
import { classificationMetrics } from './metrics.js';

const FILLER = 'the movie was a and it of this film story with acting plot scenes but some time really just'.split(' ');
const PLANTED = { positive: ['wonderful', 'superb', 'moving'], negative: ['awful', 'boring', 'waste'] } as const;

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function softmax(scores: readonly number[]): number[] {
  const top = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

/** One epoch's attention over `reviews` reviews, sharper with `sharpness`, padded to `maxLength`. */
function epochAttention(random: Random, reviews: number, maxLength: number, sharpness: number) {
  const weights = new Float32Array(reviews * maxLength);
  const lengths = Array.from({ length: reviews }, () => 10 + Math.floor(random() * (maxLength - 9)));
  lengths.forEach((length, row) => {
    const scores = Array.from({ length }, () => sharpness * gaussian(random));
    weights.set(softmax(scores), row * maxLength);
  });
  return batchEntropy(weights, lengths);
}

function demoEntropy(random: Random, epochs: number, maxLength: number): EpochEntropy[] {
  return Array.from({ length: epochs }, (_, index) =>
    summarizeEpochEntropy(index + 1, epochAttention(random, 400, maxLength, 0.3 + 0.5 * index), maxLength),
  );
}

function demoHistory(epochs: number): EpochMetrics[] {
  return Array.from({ length: epochs }, (_, index) => ({
    epoch: index + 1,
    trainLoss: 0.69 * Math.exp(-0.45 * index),
    valLoss: 0.69 * Math.exp(-0.3 * index) + 0.02 * index,
    trainAccuracy: 1 - 0.5 * Math.exp(-0.5 * index),
    valAccuracy: 0.95 - 0.45 * Math.exp(-0.45 * index),
  }));
}

/** A review with one planted word of its class that takes most of the attention. */
function demoReview(random: Random, index: number): AttentionExample {
  const label = index % 2 === 0 ? 'positive' : 'negative';
  const length = 12 + Math.floor(random() * 30);
  const tokens = Array.from({ length }, () => FILLER[Math.floor(random() * FILLER.length)]);
  const plantedAt = Math.floor(random() * length);
  tokens[plantedAt] = PLANTED[label][index % 3];
  const focus = 1 + 4 * random();
  const weights = softmax(tokens.map((_, position) => (position === plantedAt ? focus : 0.5 * gaussian(random))));
  const probability = 0.5 + 0.5 * random();
  const predicted = random() < 0.8 ? label : label === 'positive' ? 'negative' : 'positive';
  const heads = [weights, softmax(tokens.map(() => gaussian(random)))];
  return { id: `demo-${index}`, tokens, weights, heads, predicted, probability, label };
}

/** A complete, deterministic report input; one review holds markup to show that text is escaped. */
export function demoReportInput(seed = 7, epochs = 6): RunReportInput {
  const random = mulberry32(seed);
  const reviews = Array.from({ length: 60 }, (_, index) => demoReview(random, index));
  const markup = reviews[0];
  reviews[0] = { ...markup, tokens: ['<script>alert("x")</script>', ...markup.tokens.slice(1)] };
  // A test split of 400 reviews whose scores separate the classes imperfectly.
  const labels = Array.from({ length: 400 }, (_, index) => index % 2);
  const probabilities = Float32Array.from(
    labels.flatMap((label) => {
      const positive = 1 / (1 + Math.exp(-(2.5 * (label ? 1 : -1) + 1.6 * gaussian(random))));
      return [1 - positive, positive];
    }),
  );
  const classification = classificationMetrics(probabilities, labels, ['negative', 'positive']);
  const history = demoHistory(epochs);
  return {
    runName: `demo-${seed}`,
    header: {
      runName: `demo-${seed}`,
      runId: `0123456789abcdef0123456789ab${String(seed).padStart(4, '0')}`,
      startTime: Date.UTC(2026, 0, 2, 3, 4),
      dataset: 'synthetic',
      splits: { train: 2000, validation: 250, test: labels.length },
      testAccuracy: classification.accuracy,
      testMacroF1: classification.macroF1,
      bestEpoch: epochs,
      epochsRun: epochs,
      trainSeconds: 75.3,
      backend: 'wasm',
    },
    classification,
    config: 'model:\n  type: attention-classifier\n  pooler:\n    type: additive\nregularizer:\n  type: entropy\n  weight: 0.1\n',
    history,
    entropyByEpoch: demoEntropy(random, epochs, 200),
    examples: selectExamples(reviews, 2),
  };
}
