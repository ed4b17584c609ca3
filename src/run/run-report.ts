/**
 * What a run shows about its attention: per-epoch entropy statistics (metrics and histograms),
 * and at the end `attention.html` and `report.html`, all logged as artifacts.
 */
import { stringify } from 'yaml';
import type { ResolvedConfig } from '../config/types.js';
import { selectRows, type PreparedData } from '../data/prepare.js';
import { deriveSeed, mulberry32, shuffleInPlace } from '../data/random.js';
import type { Example, ProgressReporter, Tf } from '../plugin-api.js';
import { entropyAcrossEpochsSvg, entropyHistogramSvg, type EpochMetrics } from '../report/charts.js';
import { entropyMetrics, reviewEntropies, summarizeEpochEntropy, type EpochEntropy } from '../report/entropy.js';
import { selectExamples, type AttentionExample, type ExampleSection, type ScoredReview } from '../report/examples.js';
import { renderAttentionHtml, renderRunReport, type RunHeader } from '../report/html.js';
import { classificationMetrics, classificationMetricValues } from '../report/metrics.js';
import type { Tracker } from '../tracking/tracker.js';
import { explainReviews, type ProbedModel } from './explain.js';
import { argMax, type Evaluation } from '../train/evaluate.js';
import type { EpochResult } from '../train/trainer.js';

/** What the report's header says about the run, beyond what the reporter saw itself. */
export interface RunFacts {
  readonly runId: string;
  readonly startTime: number;
  readonly backend: string;
  readonly bestEpoch: number;
  readonly epochsRun: number;
  readonly trainSeconds: number;
}

/** Artifact holding every epoch's entropy summaries, read back by `attnlab compare`. */
export const ENTROPY_ARTIFACT = 'attention/entropy-by-epoch.json';

/** The prepared splits, and the test reviews' ids; the reviews are shown as `prepareData` cut them. */
export interface ReportedData extends PreparedData {
  readonly corpus: { readonly test: readonly Pick<Example, 'id' | 'label'>[] };
}

/** The metrics logged for one epoch. */
export function epochMetrics(epoch: EpochResult, entropy: EpochEntropy): Record<string, number> {
  return {
    train_loss: epoch.trainLoss,
    train_accuracy: epoch.trainAccuracy,
    val_loss: epoch.validation.loss,
    val_accuracy: epoch.validation.accuracy,
    ...(Number.isFinite(epoch.validation.macroF1) ? { val_macro_f1: epoch.validation.macroF1 } : {}),
    epoch_seconds: epoch.seconds,
    items_per_second: epoch.itemsPerSecond,
    learning_rate: epoch.learningRate,
    ...entropyMetrics(entropy),
  };
}

export class RunReporter {
  private readonly history: EpochMetrics[] = [];
  private readonly entropyByEpoch: EpochEntropy[] = [];

  constructor(
    private readonly config: ResolvedConfig,
    private readonly data: ReportedData,
    private readonly tracker: Tracker,
  ) {}

  /** Summarises the epoch's validation attention and logs its histogram. */
  async recordEpoch(epoch: EpochResult): Promise<EpochEntropy> {
    const summary = summarizeEpochEntropy(epoch.epoch, reviewEntropies(epoch.validation.attention), this.config.train.max_length);
    this.entropyByEpoch.push(summary);
    this.history.push({
      epoch: epoch.epoch,
      trainLoss: epoch.trainLoss,
      trainAccuracy: epoch.trainAccuracy,
      valLoss: epoch.validation.loss,
      valAccuracy: epoch.validation.accuracy,
    });
    const name = `attention/entropy-epoch-${String(epoch.epoch).padStart(3, '0')}.svg`;
    await this.tracker.logArtifact(name, await entropyHistogramSvg(summary));
    return summary;
  }

  /**
   * Logs the test split's diagnostics as metrics, then the combined entropy figure,
   * `attention.html` and `report.html`, with the faithfulness checks (gradient × input,
   * permutations) measured on the reviews shown. Returns the diagnostics.
   */
  async writeReport(test: Evaluation, tf: Tf, model: ProbedModel, facts: RunFacts, progress?: ProgressReporter) {
    const classification = classificationMetrics(test.probabilities, this.data.test.labels, this.data.labels);
    await this.tracker.logMetrics(classificationMetricValues(classification, 'test'), facts.bestEpoch);
    const selected = selectExamples(this.scoredTestReviews(test));
    const shownIds = new Set(selected.flatMap((section) => section.examples.map((example) => example.id)));
    const shownRows = this.data.corpus.test.flatMap((example, row) => (shownIds.has(example.id) ? [row] : []));
    const measured = [...shownRows, ...this.sampledRows(shownRows)];
    const explained = await explainReviews(
      tf,
      model,
      measured.map((row) => this.data.corpus.test[row]),
      selectRows(this.data.test, measured),
      { vocabulary: this.data.vocabulary, labels: this.data.labels, permutations: this.config.report.permutations, seed: this.config.seed, batchTokens: this.config.train.eval_batch_tokens, progress },
    );
    const sections = shownWithWords(selected, explained.examples);
    const sampled = measured.length - shownRows.length;
    const faithfulness = { ...explained.faithfulness, chosen: `the ${shownRows.length} shown and ${sampled} drawn at random from the other test reviews; report.faithfulness_reviews sets how many` };
    const header: RunHeader = {
      runName: this.config.name,
      runId: facts.runId,
      startTime: facts.startTime,
      dataset: this.config.data.type,
      splits: { train: this.data.train.labels.length, validation: this.data.validation.labels.length, test: this.data.test.labels.length },
      testAccuracy: test.accuracy,
      testMacroF1: classification.macroF1,
      bestEpoch: facts.bestEpoch,
      epochsRun: facts.epochsRun,
      trainSeconds: facts.trainSeconds,
      backend: facts.backend,
    };
    const task = progress?.start('writing the report (charts, pages)', 4, 'files');
    await this.tracker.logArtifact(ENTROPY_ARTIFACT, JSON.stringify(this.entropyByEpoch));
    await this.tracker.logArtifact('attention/entropy-by-epoch.svg', await entropyAcrossEpochsSvg(this.entropyByEpoch));
    task?.tick(2);
    await this.tracker.logArtifact('attention.html', await renderAttentionHtml(sections, { title: `Attention of ${this.config.name} on test reviews`, faithfulness, header }));
    task?.tick(1);
    const report = await renderRunReport({
      runName: this.config.name,
      config: stringify(this.config),
      history: this.history,
      entropyByEpoch: this.entropyByEpoch,
      examples: sections,
      faithfulness,
      header,
      classification,
    });
    await this.tracker.logArtifact('report.html', report);
    task?.tick(1);
    task?.done();
    await this.tracker.logMetrics(
      { faithfulness_kendall_tau_median: faithfulness.kendallTau.p50, faithfulness_permutation_delta_median: faithfulness.medianDelta.p50 },
      this.history.length,
    );
    return classification;
  }

  /**
   * A seeded random sample of the test rows not in `shown`, as many as `report.faithfulness_reviews`
   * leaves room for: the faithfulness checks cost a backward pass and `permutations` forward
   * passes per review, so they are measured on a bounded sample rather than the whole split.
   */
  private sampledRows(shown: readonly number[]): number[] {
    const room = Math.max(0, this.config.report.faithfulness_reviews - shown.length);
    const taken = new Set(shown);
    const others = Int32Array.from({ length: this.data.test.size }, (_, row) => row).filter((row) => !taken.has(row));
    return Array.from(shuffleInPlace(others, mulberry32(deriveSeed(this.config.seed, 'report/faithfulness'))).subarray(0, room));
  }

  /** Every test review's prediction and attention, from which the shown ones are chosen. */
  private scoredTestReviews(test: Evaluation): ScoredReview[] {
    const { labels } = this.data;
    const classes = labels.length;
    return this.data.corpus.test.map((example, index) => {
      const probabilities = test.probabilities.subarray(index * classes, (index + 1) * classes);
      const predicted = argMax(probabilities);
      return { id: example.id, weights: test.attention[index], predicted: labels[predicted], probability: probabilities[predicted], label: labels[example.label] };
    });
  }
}

/** The chosen sections with each review as measured, words included (every shown review is measured). */
function shownWithWords(sections: readonly ExampleSection<ScoredReview>[], measured: readonly AttentionExample[]): ExampleSection[] {
  const byId: Record<string, AttentionExample> = Object.fromEntries(measured.map((example) => [example.id, example]));
  return sections.map((section) => ({ ...section, examples: section.examples.map((example) => byId[example.id ?? '']) }));
}
