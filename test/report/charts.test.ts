import test from 'ava';
import {
  entropyAcrossEpochsSvg,
  entropyHistogramSpec,
  entropyHistogramSvg,
  learningCurvesSpec,
  learningCurvesSvg,
  rocPrSpec,
  thinCurve,
} from '../../src/report/charts.js';
import { rocCurve } from '../../src/report/metrics.js';
import { batchEntropy, summarizeEpochEntropy } from '../../src/report/entropy.js';
import { demoReportInput } from '../../src/report/demo.js';

/** Three reviews padded to 4: uniform over 2, one-hot, uniform over 4. */
function epoch(index: number) {
  const weights = Float32Array.from([0.5, 0.5, 0, 0, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]);
  return summarizeEpochEntropy(index, batchEntropy(weights, [2, 1, 4]), 4, 8);
}

const history = [
  { epoch: 1, trainLoss: 0.69, valLoss: 0.6, trainAccuracy: 0.55, valAccuracy: 0.61 },
  { epoch: 2, trainLoss: 0.41, valLoss: 0.45, trainAccuracy: 0.81, valAccuracy: 0.79 },
  { epoch: 3, trainLoss: 0.3, trainAccuracy: 0.88 },
];

/** Counts of SVG elements carrying a vega mark class, e.g. `mark-line`, `role-axis`. */
function count(svg: string, cssClass: string): number {
  return svg.split(cssClass).length - 1;
}

test('learning curves have a loss and an accuracy panel with train and validation lines', async (t) => {
  const svg = await learningCurvesSvg(history);
  t.true(svg.startsWith('<svg'));
  t.is(count(svg, 'mark-line role-mark'), 4, 'a line per split in each of the two panels');
  t.true(svg.includes('>loss<') && svg.includes('>accuracy<'));
  t.true(svg.includes('>train<') && svg.includes('>validation<'), 'legend names both splits');
  t.true(svg.includes('>epoch<'), 'x axis titled epoch');
});

test('learning curves leave out metrics an epoch did not measure', (t) => {
  const spec = learningCurvesSpec(history) as { data: { values: { epoch: number; split: string }[] } };
  const epochThree = spec.data.values.filter((row) => row.epoch === 3);
  t.deepEqual(epochThree.map((row) => row.split), ['train', 'train']);
  t.is(spec.data.values.length, 10);
});

test('the epoch histogram has bars over fixed bins, median rules and the uniform reference', async (t) => {
  const svg = await entropyHistogramSvg(epoch(2));
  t.true(svg.includes('Epoch 2: attention entropy of 3 validation reviews'));
  t.true(svg.includes('entropy H (nats)') && svg.includes('normalised entropy H / log n'));
  t.true(svg.includes('log n, entropy of uniform attention'), 'the uniform reference is labelled');
  t.true(svg.includes('>uniform<'), 'the H / log n = 1 line is labelled');
  t.true(count(svg, 'mark-rect role-mark') >= 3, 'bars for H, log n and H / log n');
  t.true(count(svg, 'mark-rule role-mark') >= 3, 'two median rules and the uniform line');
  t.true(count(svg, 'role-axis') >= 4);
});

test('the epoch histogram keeps the bins of the summary, not of the data', (t) => {
  const spec = JSON.stringify(entropyHistogramSpec(epoch(1)));
  t.true(spec.includes(`"domain":[0,${Math.log(4)}]`), 'H axis spans [0, log maxLength]');
  t.true(spec.includes('"domain":[0,1]'), 'H / log n axis spans [0, 1]');
});

test('the across-epochs figure has one small multiple per epoch and a trend panel', async (t) => {
  const svg = await entropyAcrossEpochsSvg([epoch(1), epoch(2), epoch(3)]);
  t.true(svg.includes('across epochs'));
  for (const label of ['>1<', '>2<', '>3<']) t.true(svg.includes(label), `row header ${label}`);
  t.true(count(svg, 'mark-rect role-mark') >= 3, 'a histogram per epoch');
  t.is(count(svg, 'mark-area role-mark'), 1, 'the p10–p90 band');
  t.is(count(svg, 'mark-line role-mark'), 1, 'the median line');
});

test('the entropy legend draws each swatch as its bars: log n hollow and dashed, H filled and solid', async (t) => {
  const svg = await entropyHistogramSvg(demoReportInput(3, 1).entropyByEpoch[0]);
  const legend = svg.slice(svg.indexOf('role-legend'));
  const swatches = [...legend.matchAll(/<path transform="translate\(6,6\)"[^>]*>/g)].map((match) => match[0]);
  t.is(swatches.length, 2);
  const [attention, uniform] = swatches;
  t.regex(uniform, /fill-opacity="0"/);
  t.regex(uniform, /stroke-dasharray="4,2"/);
  t.regex(attention, /fill-opacity="0\.75"/);
  t.notRegex(attention, /stroke-dasharray="4/);
  // The bars themselves, for the same two series.
  t.regex(svg, /kind: log n[^"]*"[^>]*fill-opacity="0"[^>]*stroke-dasharray="4,2"/);
});

test('a curve is thinned to the points a step apart from the last kept, its ends kept', (t) => {
  const points = [0, 0.001, 0.002, 0.01, 0.0105, 0.5, 0.5004].map((x) => ({ x, y: x }));
  t.deepEqual(thinCurve(points, 0.005).map(({ x }) => x), [0, 0.01, 0.5, 0.5004]);
  t.deepEqual(thinCurve([], 0.005), []);
  t.deepEqual(thinCurve([{ x: 0.3, y: 0.3 }], 0.005), [{ x: 0.3, y: 0.3 }]);
});

test('the ROC chart of 25,000 scored reviews draws a few hundred points, each dropped one within half a pixel of a kept one', (t) => {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const positives = Array.from({ length: 25_000 }, () => random() < 0.5);
  const scores = positives.map((positive) => (positive ? 0.3 : 0) + 0.7 * random());
  const { points } = rocCurve(scores, positives);
  const spec = JSON.stringify(rocPrSpec({ positive: 'pos', roc: points, rocAuc: 0.9, pr: [], prAuc: 0.9 }));
  const drawn: { x: number; y: number }[] = JSON.parse(spec).hconcat[0].layer[1].data.values;
  t.true(points.length > 10_000 && drawn.length < 2_000, `${points.length} points, ${drawn.length} drawn`);
  t.deepEqual(drawn[drawn.length - 1], { x: 1, y: 1 });
  const near = (point: { fpr: number; tpr: number }) => drawn.some(({ x, y }) => Math.abs(x - point.fpr) < 1 / 480 && Math.abs(y - point.tpr) < 1 / 480);
  t.true(points.every(near));
});
