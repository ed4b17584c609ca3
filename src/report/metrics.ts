/**
 * Classifier diagnostics over any number of classes: the confusion matrix (counts and rows
 * normalised), per-class precision, recall and F1, macro-F1, the reliability (calibration) of
 * the predicted class's probability, and for two classes the ROC and precision–recall curves
 * with their areas. The inputs are plain arrays: row-major [reviews, classes] probabilities and
 * the true class index of each review.
 */
import { DataError } from '../errors.js';

export interface ClassScores {
  readonly name: string;
  /** Of the reviews predicted as this class, the share that are; NaN when none is predicted. */
  readonly precision: number;
  /** Of the reviews of this class, the share predicted as it; NaN when the class is absent. */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0, NaN when either is undefined. */
  readonly f1: number;
  /** Reviews of this class. */
  readonly support: number;
}

/** A point of a ROC curve: the rates when every score ≥ `threshold` is called positive. */
export interface RocPoint {
  readonly threshold: number;
  readonly fpr: number;
  readonly tpr: number;
}

export interface PrPoint {
  readonly threshold: number;
  readonly recall: number;
  readonly precision: number;
}

/** One equal-width bin of the predicted class's probability. */
export interface CalibrationBin {
  readonly start: number;
  readonly end: number;
  readonly count: number;
  /** Mean probability of the predicted class in the bin; NaN when empty. */
  readonly confidence: number;
  /** Share of right predictions in the bin; NaN when empty. */
  readonly accuracy: number;
}

export interface Calibration {
  readonly bins: readonly CalibrationBin[];
  /** Expected calibration error: Σ_bins (count / total) · |accuracy − confidence|. */
  readonly ece: number;
}

/** Curves of the positive class (the second) of a two-class problem. */
export interface BinaryCurves {
  readonly positive: string;
  readonly roc: readonly RocPoint[];
  readonly rocAuc: number;
  readonly pr: readonly PrPoint[];
  /** Average precision, Σ (R_k − R_{k−1}) · P_k: the step area under the PR curve (as scikit-learn). */
  readonly prAuc: number;
}

export interface ClassificationMetrics {
  readonly classes: readonly string[];
  readonly total: number;
  readonly accuracy: number;
  /** counts[true][predicted]. */
  readonly confusion: readonly (readonly number[])[];
  /** Each row of `confusion` divided by its sum (the class's recall on the diagonal). */
  readonly confusionNormalized: readonly (readonly number[])[];
  readonly perClass: readonly ClassScores[];
  /** Mean F1 over the classes present in the labels. */
  readonly macroF1: number;
  readonly calibration: Calibration;
  /** Present for two classes only. */
  readonly binary?: BinaryCurves;
}

function predictions(probabilities: ArrayLike<number>, count: number, classes: number): Int32Array {
  const predicted = new Int32Array(count);
  for (let row = 0; row < count; row++) {
    let best = 0;
    for (let column = 1; column < classes; column++) {
      if (probabilities[row * classes + column] > probabilities[row * classes + best]) best = column;
    }
    predicted[row] = best;
  }
  return predicted;
}

/** counts[true][predicted] over `classes` classes. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  if (labels.length !== predicted.length) {
    throw new DataError('report-metric-length', `${labels.length} labels for ${predicted.length} predictions; expected one label per prediction`);
  }
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let index = 0; index < labels.length; index++) {
    const [label, guess] = [labels[index], predicted[index]];
    if (!(label >= 0 && label < classes && guess >= 0 && guess < classes)) {
      throw new DataError('report-metric-class', `review ${index}: class ${label} or prediction ${guess} is outside 0…${classes - 1}`);
    }
    counts[label][guess]++;
  }
  return counts;
}

export function normalizeRows(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((sum, value) => sum + value, 0);
    return row.map((value) => (total > 0 ? value / total : 0));
  });
}

/** Precision, recall and F1 of each class from a confusion matrix. */
export function classScores(confusion: readonly (readonly number[])[], names: readonly string[]): ClassScores[] {
  return confusion.map((row, index) => {
    const truePositives = row[index];
    const support = row.reduce((sum, value) => sum + value, 0);
    const predictedAs = confusion.reduce((sum, other) => sum + other[index], 0);
    const precision = predictedAs > 0 ? truePositives / predictedAs : Number.NaN;
    const recall = support > 0 ? truePositives / support : Number.NaN;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { name: names[index] ?? String(index), precision, recall, f1, support };
  });
}

/** Mean F1 over the classes that occur; a class never predicted counts as F1 0. */
export function macroF1(scores: readonly ClassScores[]): number {
  const present = scores.filter((score) => score.support > 0);
  if (present.length === 0) return Number.NaN;
  return present.reduce((sum, score) => sum + (Number.isNaN(score.f1) ? 0 : score.f1), 0) / present.length;
}

/** Indices sorted by descending score; reviews with equal scores form one step of a curve. */
function byScore(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, index) => index).sort((a, b) => scores[b] - scores[a]);
}

/** True and false positives at each distinct threshold, highest first. */
function thresholds(scores: ArrayLike<number>, positives: ArrayLike<boolean>) {
  const order = byScore(scores);
  const steps: { threshold: number; tp: number; fp: number }[] = [];
  let [tp, fp] = [0, 0];
  order.forEach((index, rank) => {
    if (positives[index]) tp++;
    else fp++;
    const next = order[rank + 1];
    if (next === undefined || scores[next] !== scores[index]) steps.push({ threshold: scores[index], tp, fp });
  });
  return { steps, positives: tp, negatives: fp };
}

/** The ROC curve from (0, 0) to (1, 1) and its area by the trapezoid rule (ties count half). */
export function rocCurve(scores: ArrayLike<number>, positives: ArrayLike<boolean>): { points: RocPoint[]; auc: number } {
  const { steps, positives: p, negatives: n } = thresholds(scores, positives);
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 }];
  for (const step of steps) points.push({ threshold: step.threshold, fpr: n > 0 ? step.fp / n : Number.NaN, tpr: p > 0 ? step.tp / p : Number.NaN });
  if (p === 0 || n === 0) return { points, auc: Number.NaN };
  let auc = 0;
  for (let index = 1; index < points.length; index++) {
    auc += ((points[index].fpr - points[index - 1].fpr) * (points[index].tpr + points[index - 1].tpr)) / 2;
  }
  return { points, auc };
}

/** The precision–recall curve, highest threshold first, and the average precision. */
export function prCurve(scores: ArrayLike<number>, positives: ArrayLike<boolean>): { points: PrPoint[]; averagePrecision: number } {
  const { steps, positives: p } = thresholds(scores, positives);
  const points = steps.map((step) => ({ threshold: step.threshold, recall: p > 0 ? step.tp / p : Number.NaN, precision: step.tp / (step.tp + step.fp) }));
  if (p === 0) return { points, averagePrecision: Number.NaN };
  let averagePrecision = 0;
  let previousRecall = 0;
  for (const point of points) {
    averagePrecision += (point.recall - previousRecall) * point.precision;
    previousRecall = point.recall;
  }
  return { points, averagePrecision };
}

/** Reliability of the predicted class's probability over `bins` equal-width bins of [0, 1]. */
export function calibration(confidence: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 10): Calibration {
  const sums = Array.from({ length: bins }, () => ({ count: 0, confidence: 0, right: 0 }));
  for (let index = 0; index < confidence.length; index++) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(confidence[index] * bins)));
    sums[bin].count++;
    sums[bin].confidence += confidence[index];
    if (correct[index]) sums[bin].right++;
  }
  const total = confidence.length;
  const rows = sums.map((sum, bin) => ({
    start: bin / bins,
    end: (bin + 1) / bins,
    count: sum.count,
    confidence: sum.count ? sum.confidence / sum.count : Number.NaN,
    accuracy: sum.count ? sum.right / sum.count : Number.NaN,
  }));
  const ece = total ? rows.reduce((error, row) => (row.count ? error + (row.count / total) * Math.abs(row.accuracy - row.confidence) : error), 0) : Number.NaN;
  return { bins: rows, ece };
}

/** Every diagnostic of a scored split. */
export function classificationMetrics(probabilities: ArrayLike<number>, labels: ArrayLike<number>, names: readonly string[]): ClassificationMetrics {
  const classes = names.length;
  const total = labels.length;
  if (probabilities.length !== total * classes) {
    throw new DataError(
      'report-metric-length',
      `${probabilities.length} probabilities for ${total} reviews of ${classes} classes; expected ${total * classes} (row-major [reviews, classes])`,
    );
  }
  const predicted = predictions(probabilities, total, classes);
  const confusion = confusionMatrix(labels, predicted, classes);
  const perClass = classScores(confusion, names);
  const correct = Array.from(predicted, (guess, index) => guess === labels[index]);
  const confidence = Array.from(predicted, (guess, index) => probabilities[index * classes + guess]);
  const right = correct.filter(Boolean).length;
  const result: ClassificationMetrics = {
    classes: names,
    total,
    accuracy: total ? right / total : Number.NaN,
    confusion,
    confusionNormalized: normalizeRows(confusion),
    perClass,
    macroF1: macroF1(perClass),
    calibration: calibration(confidence, correct),
  };
  if (classes !== 2) return result;
  const scores = Array.from({ length: total }, (_, index) => probabilities[index * 2 + 1]);
  const positives = Array.from(labels, (label) => label === 1);
  const roc = rocCurve(scores, positives);
  const pr = prCurve(scores, positives);
  return { ...result, binary: { positive: names[1], roc: roc.points, rocAuc: roc.auc, pr: pr.points, prAuc: pr.averagePrecision } };
}

/** A class name as part of a metric key: MLflow takes letters, digits, `_ - . /` and spaces only. */
export function metricKeyPart(name: string): string {
  const cleaned = name.replace(/[^\p{L}\p{N}_.-]+/gu, '_').replace(/^[.]+|[.]+$/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

/**
 * The metrics logged for a split, `<prefix>_macro_f1`, `<prefix>_precision_<class>` etc.; NaN
 * values (a class never predicted) are left out, since MLflow's charts cannot draw them.
 */
export function classificationMetricValues(metrics: ClassificationMetrics, prefix: string): Record<string, number> {
  const values: Record<string, number> = { [`${prefix}_macro_f1`]: metrics.macroF1, [`${prefix}_ece`]: metrics.calibration.ece };
  const used = new Set<string>();
  for (const score of metrics.perClass) {
    let part = metricKeyPart(score.name);
    // Two names that clean to the same key ("a b" and "a_b") would overwrite each other.
    while (used.has(part)) part = `${part}_`;
    used.add(part);
    values[`${prefix}_precision_${part}`] = score.precision;
    values[`${prefix}_recall_${part}`] = score.recall;
    values[`${prefix}_f1_${part}`] = score.f1;
  }
  if (metrics.binary) {
    values[`${prefix}_roc_auc`] = metrics.binary.rocAuc;
    values[`${prefix}_pr_auc`] = metrics.binary.prAuc;
  }
  return Object.fromEntries(Object.entries(values).filter(([, value]) => Number.isFinite(value)));
}
