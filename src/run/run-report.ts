/**
 * What a run shows about its attention: per-epoch entropy statistics (metrics and histograms),
 * and at the end `attention.html` and `report.html`, all logged as artifacts.
 */
import { stringify } from 'yaml';
import type { ResolvedConfig } from '../config/types.js';
import type { PreparedData } from '../data/prepare.js';
import { tokenize } from '../data/tokenize.js';
import type { Example, Model, Tf } from '../plugin-api.js';
import { entropyAcrossEpochsSvg, entropyHistogramSvg, type EpochMetrics } from '../report/charts.js';
import { entropyMetrics, reviewEntropies, summarizeEpochEntropy, type EpochEntropy } from '../report/entropy.js';
import { selectExamples, type AttentionExample } from '../report/examples.js';
import { renderAttentionHtml, renderRunReport } from '../report/html.js';
import type { Tracker } from '../tracking/tracker.js';
import { explainReviews } from './explain.js';
import { argMax, type Evaluation } from '../train/evaluate.js';
import type { EpochResult } from '../train/trainer.js';

/** Random permutations of the attention per shown review, for the report's faithfulness check. */
const REPORT_PERMUTATIONS = 50;

export interface ReportedData extends PreparedData {
  readonly corpus: { readonly test: readonly Example[] };
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
   * Logs the combined entropy figure, `attention.html` and `report.html`, with the faithfulness
   * checks (gradient × input, permutations) measured on the reviews shown.
   */
  async writeReport(test: Evaluation, tf: Tf, model: Model): Promise<void> {
    const selected = selectExamples(this.testExamples(test));
    const shownIds = new Set(selected.flatMap((section) => section.examples.map((example) => example.id)));
    const explained = await explainReviews(
      tf,
      model,
      this.data.corpus.test.filter((example) => shownIds.has(example.id)),
      { vocabulary: this.data.vocabulary, labels: this.data.labels, maxLength: this.config.train.max_length, permutations: REPORT_PERMUTATIONS, seed: this.config.seed },
    );
    const byId = new Map(explained.examples.map((example) => [example.id, example]));
    const sections = selected.map((section) => ({ ...section, examples: section.examples.map((example) => byId.get(example.id) ?? example) }));
    const { faithfulness } = explained;
    await this.tracker.logArtifact('attention/entropy-by-epoch.svg', await entropyAcrossEpochsSvg(this.entropyByEpoch));
    await this.tracker.logArtifact('attention.html', renderAttentionHtml(sections, { title: `Attention of ${this.config.name} on test reviews`, faithfulness }));
    const report = await renderRunReport({
      runName: this.config.name,
      config: stringify(this.config),
      history: this.history,
      entropyByEpoch: this.entropyByEpoch,
      examples: sections,
      faithfulness,
    });
    await this.tracker.logArtifact('report.html', report);
    await this.tracker.logMetrics(
      { faithfulness_kendall_tau_median: faithfulness.kendallTau.p50, faithfulness_permutation_delta_median: faithfulness.medianDelta.p50 },
      this.history.length,
    );
  }

  private testExamples(test: Evaluation): AttentionExample[] {
    const { labels } = this.data;
    const classes = labels.length;
    return this.data.corpus.test.map((example, index) => {
      const probabilities = test.probabilities.subarray(index * classes, (index + 1) * classes);
      const predicted = argMax(probabilities);
      const weights = test.attention[index];
      return {
        id: example.id,
        tokens: tokenize(example.text).slice(0, weights.length),
        weights,
        predicted: labels[predicted],
        probability: probabilities[predicted],
        label: labels[example.label],
      };
    });
  }
}
