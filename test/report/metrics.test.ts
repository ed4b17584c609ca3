import test from 'ava';
import {
  calibration,
  classificationMetrics,
  classificationMetricValues,
  confusionMatrix,
  metricKeyPart,
  prCurve,
  rocCurve,
} from '../../src/report/metrics.js';
import { validateKey } from '../../src/tracking/validation.js';
import type { DataError } from '../../src/errors.js';

// Five reviews, two classes; p(positive) per review. Predicted: negative, positive, negative, positive, positive.
const LABELS = [0, 0, 1, 1, 1];
const P_POSITIVE = [0.1, 0.6, 0.35, 0.8, 0.7];
const PROBABILITIES = Float32Array.from(P_POSITIVE.flatMap((p) => [1 - p, p]));

test('the confusion matrix counts true classes by row and predictions by column, and normalises rows', (t) => {
  const metrics = classificationMetrics(PROBABILITIES, LABELS, ['negative', 'positive']);
  t.deepEqual(metrics.confusion, [
    [1, 1],
    [1, 2],
  ]);
  t.deepEqual(metrics.confusionNormalized, [
    [0.5, 0.5],
    [1 / 3, 2 / 3],
  ]);
  t.is(metrics.accuracy, 3 / 5);
});

test('precision, recall and F1 per class and macro-F1 match a hand computation', (t) => {
  const metrics = classificationMetrics(PROBABILITIES, LABELS, ['negative', 'positive']);
  const [negative, positive] = metrics.perClass;
  t.deepEqual([negative.precision, negative.recall, negative.f1, negative.support], [1 / 2, 1 / 2, 1 / 2, 2]);
  t.deepEqual([positive.precision, positive.recall, positive.support], [2 / 3, 2 / 3, 3]);
  t.true(Math.abs(positive.f1 - 2 / 3) < 1e-12);
  t.true(Math.abs(metrics.macroF1 - 7 / 12) < 1e-12);
});

test('ROC AUC is the share of positive–negative pairs ranked right, ties counting half', (t) => {
  // Positives 0.35, 0.8, 0.7 against negatives 0.1, 0.6: 5 of 6 pairs in order.
  const { auc, points } = rocCurve(P_POSITIVE, LABELS.map((label) => label === 1));
  t.true(Math.abs(auc - 5 / 6) < 1e-12);
  t.deepEqual(points[0], { threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 });
  t.deepEqual(points.at(-1), { threshold: 0.1, fpr: 1, tpr: 1 });
  t.is(rocCurve([0.5, 0.5], [true, false]).auc, 0.5);
  t.is(rocCurve([0.9, 0.1], [false, true]).auc, 0);
  t.true(Number.isNaN(rocCurve([0.2, 0.3], [true, true]).auc), 'undefined without negatives');
});

test('average precision sums precision at each new recall', (t) => {
  // Ranked: 0.8 P, 0.7 P, 0.6 N, 0.35 P, 0.1 N → 1/3·1 + 1/3·1 + 1/3·3/4.
  const { averagePrecision, points } = prCurve(P_POSITIVE, LABELS.map((label) => label === 1));
  t.true(Math.abs(averagePrecision - 11 / 12) < 1e-12);
  t.deepEqual(
    points.map((point) => [point.recall, point.precision]),
    [
      [1 / 3, 1],
      [2 / 3, 1],
      [2 / 3, 2 / 3],
      [1, 3 / 4],
      [1, 3 / 5],
    ],
  );
  // Tied scores are one step: both reviews are called positive together.
  t.is(prCurve([0.5, 0.5], [true, false]).averagePrecision, 0.5);
});

test('calibration bins the predicted class probability and weighs each bin gap by its share', (t) => {
  // Confidence of the predicted class: 0.9 ✓, 0.6 ✗, 0.65 ✗, 0.8 ✓, 0.7 ✓.
  const { bins, ece } = calibration([0.9, 0.6, 0.65, 0.8, 0.7], [true, false, false, true, true]);
  t.is(bins.length, 10);
  t.deepEqual(
    bins.filter((bin) => bin.count > 0).map((bin) => [bin.start, bin.count, bin.accuracy]),
    [
      [0.6, 2, 0],
      [0.7, 1, 1],
      [0.8, 1, 1],
      [0.9, 1, 1],
    ],
  );
  t.true(Math.abs(bins[6].confidence - 0.625) < 1e-12);
  t.true(Math.abs(ece - (0.4 * 0.625 + 0.2 * 0.3 + 0.2 * 0.2 + 0.2 * 0.1)) < 1e-12);
  t.is(calibration([1], [true]).bins[9].count, 1, 'probability 1 falls in the last bin');
});

test('three classes: the matrix, the scores and macro-F1 are generic, and no binary curves are given', (t) => {
  // True 0, 1, 2, 2; predicted 0, 2, 2, 1.
  const probabilities = Float32Array.from([0.8, 0.1, 0.1, 0.1, 0.2, 0.7, 0.1, 0.2, 0.7, 0.2, 0.5, 0.3]);
  const metrics = classificationMetrics(probabilities, [0, 1, 2, 2], ['a', 'b', 'c']);
  t.deepEqual(metrics.confusion, [
    [1, 0, 0],
    [0, 0, 1],
    [0, 1, 1],
  ]);
  t.deepEqual(
    metrics.perClass.map((score) => [score.precision, score.recall, score.f1]),
    [
      [1, 1, 1],
      [0, 0, 0],
      [0.5, 0.5, 0.5],
    ],
  );
  t.is(metrics.macroF1, 0.5);
  t.is(metrics.binary, undefined);
});

test('a class never predicted has no precision, and its F1 counts as 0 in macro-F1', (t) => {
  const metrics = classificationMetrics(Float32Array.from([0.9, 0.1, 0.8, 0.2]), [0, 1], ['neg', 'pos']);
  t.true(Number.isNaN(metrics.perClass[1].precision));
  t.is(metrics.perClass[1].recall, 0);
  t.is(metrics.macroF1, (2 / 3 + 0) / 2);
  const values = classificationMetricValues(metrics, 'test');
  t.false('test_precision_pos' in values, 'NaN is not logged');
  t.is(values.test_recall_pos, 0);
});

test('logged metric keys follow MLflow rules, whatever the class names', (t) => {
  const metrics = classificationMetrics(PROBABILITIES, LABELS, ['very/bad', 'good :)']);
  const values = classificationMetricValues(metrics, 'test');
  for (const key of Object.keys(values)) t.notThrows(() => validateKey('metric', key), key);
  t.deepEqual(Object.keys(values).sort(), [
    'test_ece',
    'test_f1_good_',
    'test_f1_very_bad',
    'test_macro_f1',
    'test_pr_auc',
    'test_precision_good_',
    'test_precision_very_bad',
    'test_recall_good_',
    'test_recall_very_bad',
    'test_roc_auc',
  ]);
  t.true(Math.abs(values.test_roc_auc - 5 / 6) < 1e-12);
  t.is(metricKeyPart('pos'), 'pos');
  // Names that clean to one key stay apart.
  const twins = classificationMetricValues(classificationMetrics(PROBABILITIES, LABELS, ['a b', 'a_b']), 'test');
  t.truthy(twins.test_f1_a_b);
  t.truthy(twins.test_f1_a_b_);
});

test('mismatched inputs are refused with a code', (t) => {
  t.is(t.throws<DataError>(() => classificationMetrics(Float32Array.from([0.5, 0.5]), [0, 1], ['a', 'b']))?.code, 'report-metric-length');
  t.is(t.throws<DataError>(() => confusionMatrix([0, 3], [0, 1], 2))?.code, 'report-metric-class');
});
