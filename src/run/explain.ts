/**
 * `attnlab explain`: where a trained model's attention goes on given reviews, and whether it
 * explains the prediction (Jain & Wallace 2019): Kendall τ between attention and gradient ×
 * input, and how much the prediction moves when the attention is randomly permuted.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { encodeWithVocabulary, reviewTokens, selectRows, type WordedSplit } from '../data/prepare.js';
import { scoringBatches, type EncodedSplit } from '../data/batches.js';
import { deriveSeed } from '../data/random.js';
import type { Example, ProgressReporter, ProgressTask, Tf } from '../plugin-api.js';
import type { AttentionExample } from '../report/examples.js';
import { gradientTimesInput, kendallTauB, permutationChange, permutedWeights, summarizeFaithfulness, type FaithfulnessSummary, type ReviewFaithfulness } from '../report/faithfulness.js';
import { argMax, batchTensors, inputTensors } from '../train/evaluate.js';
import { loadCorpus } from './evaluate-run.js';
import type { RunHeader } from '../report/html.js';
import { readRunFolder, runFolderOf, runHeaderOf } from '../report/run-folder.js';
import { restoreRun } from './restore.js';
import type { BuiltModel } from './build.js';

export interface ExplainOptions {
  /** Reviews to explain; when absent, test reviews are chosen. */
  readonly texts?: readonly string[];
  /** How many test reviews to show when no text is given. */
  readonly examples: number;
  /** Random permutations of the attention per review. */
  readonly permutations: number;
  readonly progress?: ProgressReporter;
}

export interface Explanation {
  readonly name: string;
  /** The run's facts for a page's header, when its tracking folder is at hand. */
  readonly header?: RunHeader;
  readonly labels: readonly string[];
  readonly examples: readonly AttentionExample[];
  readonly faithfulness: FaithfulnessSummary;
}

export async function explainRun(reference: string, options: ExplainOptions): Promise<Explanation> {
  const run = await restoreRun(reference);
  try {
    const { config, checkpoint } = run;
    const reviews = options.texts
      ? options.texts.map((text, index): Example => ({ id: `text-${index + 1}`, text, label: -1 }))
      : chooseTestReviews(await loadCorpus(run).then((corpus) => corpus.test), options.examples, config.seed);
    // Texts typed at the command line, or test reviews read afresh: cut here by the run's tokenizer.
    const encoded = encodeWithVocabulary(reviews, checkpoint.vocabulary, config.train.max_length, run.tokenizer);
    const explained = await explainReviews(run.tf, run.built, reviews, encoded, {
      vocabulary: checkpoint.vocabulary,
      labels: checkpoint.manifest.labels,
      permutations: options.permutations,
      seed: config.seed,
      batchTokens: config.train.eval_batch_tokens,
      progress: options.progress,
    });
    const folder = runFolderOf(run.artifactDir);
    const header = folder ? runHeaderOf(await readRunFolder(folder)) : { runName: config.name };
    return { name: config.name, header, labels: checkpoint.manifest.labels, ...explained };
  } finally {
    run.built.dispose();
  }
}

export interface ExplainSettings {
  /** The vocabulary the reviews were encoded with: it names their tokens. */
  readonly vocabulary: readonly string[];
  readonly labels: readonly string[];
  readonly permutations: number;
  readonly seed: number;
  /** Most token positions per gradient batch (`train.eval_batch_tokens`); unbounded when absent. */
  readonly batchTokens?: number;
  /** Shows the reviews measured so far. */
  readonly progress?: ProgressReporter;
}

/**
 * Each review's attention and prediction, with both faithfulness checks (label −1: unknown).
 * `encoded` holds the reviews, in order, as the model reads them; their tokens are shown as it
 * cut them, without tokenising the texts again.
 */
export async function explainReviews(
  tf: Tf,
  model: ProbedModel,
  reviews: readonly Pick<Example, 'id' | 'label'>[],
  encoded: WordedSplit,
  settings: ExplainSettings,
): Promise<{ examples: AttentionExample[]; faithfulness: FaithfulnessSummary }> {
  const batchTokens = settings.batchTokens ?? Number.POSITIVE_INFINITY;
  const scored = scoreReviews(tf, model, encoded, batchTokens);
  const predicted = scored.map(({ probabilities }) => argMax(probabilities));
  const permuted = reviews.map((review, index) => permutedWeights(scored[index].attention, settings.permutations, deriveSeed(settings.seed, `permutations/${review.id}`)));
  const task = settings.progress?.start('faithfulness (permuted attention)', reviews.length * settings.permutations, 'forward rows');
  const underPermutations = predictWithAttention(tf, model, encoded, permuted, predicted, { batchTokens, task });
  task?.done();
  const examples: AttentionExample[] = [];
  const checks: ReviewFaithfulness[] = [];
  for (const [index, review] of reviews.entries()) {
    const { probabilities, attention, headAttention, importance } = scored[index];
    const probability = probabilities[predicted[index]];
    const faithfulness: ReviewFaithfulness = {
      id: review.id,
      kendallTau: kendallTauB(attention, importance),
      permutation: permutationChange(probability, underPermutations[index], settings.permutations),
    };
    checks.push(faithfulness);
    const { tokens, fullLength } = reviewTokens(encoded, settings.vocabulary, index);
    examples.push({
      id: review.id,
      tokens,
      fullLength,
      weights: attention,
      heads: headAttention,
      predicted: settings.labels[predicted[index]],
      probability,
      label: review.label >= 0 ? settings.labels[review.label] : undefined,
      faithfulness,
    });
  }
  return { examples, faithfulness: summarizeFaithfulness(checks) };
}

/** A seeded, label-balanced handful of test reviews. */
function chooseTestReviews(test: readonly Example[], count: number, seed: number): Example[] {
  const step = Math.max(1, Math.floor(test.length / Math.max(1, count)));
  const offset = seed % step;
  return Array.from({ length: Math.min(count, test.length) }, (_, index) => test[(offset + index * step) % test.length]);
}

/** A model with the probe it was built with. */
export type ProbedModel = Pick<BuiltModel, 'model' | 'probe'>;

interface ScoredReview {
  readonly probabilities: Float32Array;
  /** Over the review's real tokens. */
  readonly attention: Float32Array;
  readonly headAttention?: Float32Array[];
  /** |gradient · input| of the predicted class's logit, per token. */
  readonly importance: Float64Array;
}

function scoreReviews(tf: Tf, { model, probe }: ProbedModel, split: EncodedSplit, batchTokens: number): ScoredReview[] {
  const scored: ScoredReview[] = new Array(split.size);
  // At most 32 rows: the probe gives every position its own token, [rows, rows · time] per batch.
  for (const batch of scoringBatches(split, { maxRows: 32, maxTokens: batchTokens, maxLength: Number.MAX_SAFE_INTEGER })) {
    const outputs = tf.tidy(() => {
      const { ids, mask } = batchTensors(tf, batch);
      // d(logit of the predicted class)/dx, one backward pass for the whole batch.
      const { output, input, gradient } = probe.inputGradient(
        ids,
        () => model.forward(ids, mask, false),
        (first, { logits }) => tf.sum(tf.mul(logits, tf.oneHot(tf.argMax(first.logits, 1) as tfjs.Tensor1D, logits.shape[1]))),
      );
      return { probabilities: tf.softmax(output.logits), attention: output.attention, heads: output.headAttention, gradient, input };
    });
    // Read outside tf.tidy: tidy walks what it returns, a typed array index by index (about a second per batch of gradients).
    const values = {
      probabilities: outputs.probabilities.dataSync() as Float32Array,
      attention: outputs.attention.dataSync() as Float32Array,
      heads: outputs.heads?.dataSync() as Float32Array | undefined,
      gradient: outputs.gradient.dataSync() as Float32Array,
      input: outputs.input.dataSync() as Float32Array,
      dim: outputs.input.shape[2],
      classes: outputs.probabilities.shape[1],
      headCount: outputs.heads?.shape[1] ?? 0,
    };
    tf.dispose([outputs.probabilities, outputs.attention, outputs.gradient, outputs.input, ...(outputs.heads ? [outputs.heads] : [])]);
    const { time } = batch;
    const { dim, classes, headCount, heads } = values;
    for (let row = 0; row < batch.size; row++) {
      const length = batch.lengths[row];
      const tokens = [row * time * dim, (row * time + length) * dim] as const;
      scored[batch.indices[row]] = {
        probabilities: values.probabilities.slice(row * classes, (row + 1) * classes),
        attention: values.attention.slice(row * time, row * time + length),
        headAttention: heads && Array.from({ length: headCount }, (_, head) => heads.slice((row * headCount + head) * time, (row * headCount + head) * time + length)),
        importance: gradientTimesInput(values.gradient.subarray(...tokens), values.input.subarray(...tokens), dim),
      };
    }
  }
  return scored;
}

/**
 * For each review, the probability of its `predicted` class under each of its replacement
 * attentions (`weightSets[review]`). Every (review, weights) pair is a row, and the rows are
 * scored in `scoringBatches`, many reviews per forward pass: padding after a review's tokens
 * gets no weight and leaves its states as they are.
 */
function predictWithAttention(
  tf: Tf,
  { model, probe }: ProbedModel,
  split: WordedSplit,
  weightSets: readonly (readonly Float32Array[])[],
  predicted: readonly number[],
  { batchTokens, task }: { readonly batchTokens: number; readonly task?: ProgressTask },
): Float32Array[] {
  const rows = weightSets.flatMap((sets, review) => sets.map((weights, set) => ({ review, set, weights })));
  const probabilities = weightSets.map((sets) => new Float32Array(sets.length));
  const repeated = selectRows(split, rows.map(({ review }) => review));
  for (const batch of scoringBatches(repeated, { maxRows: Number.MAX_SAFE_INTEGER, maxTokens: batchTokens, maxLength: Number.MAX_SAFE_INTEGER })) {
    const attention = new Float32Array(batch.size * batch.time);
    batch.indices.forEach((row, position) => attention.set(rows[row].weights, position * batch.time));
    const output = tf.tidy(() => {
      const { ids, mask } = inputTensors(tf, batch);
      return tf.softmax(probe.withAttention(tf.tensor2d(attention, [batch.size, batch.time]), () => model.forward(ids, mask, false).logits));
    });
    const values = output.dataSync() as Float32Array;
    const classes = output.shape[1];
    output.dispose();
    batch.indices.forEach((row, position) => {
      const { review, set } = rows[row];
      probabilities[review][set] = values[position * classes + predicted[review]];
    });
    task?.tick(batch.size);
  }
  return probabilities;
}
