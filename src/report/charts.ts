/**
 * The run's pictures as vega-lite specs, rendered to SVG strings in Node (no browser, no canvas):
 * learning curves, one epoch's attention-entropy histograms, and all epochs side by side.
 * Each `…Spec` function returns the spec (to log as JSON or restyle); `…Svg` renders it.
 */
import { logger, parse, View, Warn } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
// vega-lite exports its spec-part types only under this path; the imports are type-only.
import type { Encoding } from 'vega-lite/types_unstable/encoding.js';
import type { MarkDef } from 'vega-lite/types_unstable/mark.js';
import type { UnitSpec } from 'vega-lite/types_unstable/spec/unit.js';
import type { EpochEntropy, Histogram } from './entropy.js';
import type { BinaryCurves, Calibration } from './metrics.js';

/** One epoch's training metrics; a metric not measured that epoch is left out. */
export interface EpochMetrics {
  readonly epoch: number;
  readonly trainLoss?: number;
  readonly valLoss?: number;
  readonly trainAccuracy?: number;
  readonly valAccuracy?: number;
}

const ENTROPY_COLOR = '#2b6cb0';
const UNIFORM_COLOR = '#718096';

/**
 * vega-lite's warnings, without the one about layers whose legends are merged on purpose (the
 * entropy histogram's swatches are drawn by one shared legend encoding).
 */
function compileLogger() {
  const base = logger(Warn);
  const warn = base.warn.bind(base);
  base.warn = (...args: readonly unknown[]) => (String(args[0]).startsWith('Conflicting legend property') ? base : warn(...args));
  return base;
}

/** Renders a vega-lite spec to a standalone SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec, { logger: compileLogger() }).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Train and validation loss and accuracy per epoch: one panel per metric. */
export function learningCurvesSpec(history: readonly EpochMetrics[]): TopLevelSpec {
  const series = [
    { key: 'trainLoss', metric: 'loss', split: 'train' },
    { key: 'valLoss', metric: 'loss', split: 'validation' },
    { key: 'trainAccuracy', metric: 'accuracy', split: 'train' },
    { key: 'valAccuracy', metric: 'accuracy', split: 'validation' },
  ] as const;
  const values = history.flatMap((row) =>
    series
      .filter((line) => Number.isFinite(row[line.key]))
      .map((line) => ({ epoch: row.epoch, metric: line.metric, split: line.split, value: row[line.key] })),
  );
  return {
    title: 'Learning curves',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['loss', 'accuracy'] } },
    spec: {
      width: 280,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, title: 'epoch' } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation'], range: ['#dd6b20', ENTROPY_COLOR] } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

export async function learningCurvesSvg(history: readonly EpochMetrics[]): Promise<string> {
  return renderSvg(learningCurvesSpec(history));
}

/** Histogram rows for a chart: each bin's range and share of the reviews. */
function binRows(histogram: Histogram, extra: Record<string, string | number> = {}) {
  return histogram.counts.map((count, bin) => ({
    ...extra,
    start: histogram.edges[bin],
    end: histogram.edges[bin + 1],
    share: histogram.total > 0 ? count / histogram.total : 0,
  }));
}

/**
 * One epoch: H over [0, log maxLength] with the distribution of log n (what uniform attention
 * would give each review) outlined behind it and both medians marked; and H / log n over [0, 1],
 * where uniform attention is the line at 1.
 */
export function entropyHistogramSpec(summary: EpochEntropy): TopLevelSpec {
  const { entropy, uniform, normalized } = summary;
  const medianN = Math.round(Math.exp(uniform.stats.p50));
  // The legend names both medians, so the rules need no text of their own to crowd the bars.
  const attentionLabel = `H, attention entropy (median ${entropy.stats.p50.toFixed(2)}, solid line)`;
  const uniformLabel = `log n, entropy of uniform attention (median ${uniform.stats.p50.toFixed(2)}, n ≈ ${medianN})`;
  const rows = [
    ...binRows(entropy.histogram, { kind: attentionLabel }),
    ...binRows(uniform.histogram, { kind: uniformLabel }),
  ];
  const color = {
    field: 'kind',
    type: 'nominal',
    title: null,
    scale: { domain: [attentionLabel, uniformLabel], range: [ENTROPY_COLOR, UNIFORM_COLOR] },
    legend: {
      orient: 'bottom',
      direction: 'vertical',
      labelLimit: 480,
      // Each swatch drawn as its bars are: the uniform outline dashed and hollow, H filled.
      encoding: {
        symbols: {
          fillOpacity: { condition: { test: `datum.value === ${JSON.stringify(uniformLabel)}`, value: 0 }, value: 0.75 },
          strokeDash: { condition: { test: `datum.value === ${JSON.stringify(uniformLabel)}`, value: [4, 2] }, value: [] },
        },
      },
    },
  } satisfies Encoding<string>['color'];
  const bars = (kind: string, mark: Omit<MarkDef<'bar'>, 'type'>): UnitSpec<string> => ({
    data: { values: rows },
    transform: [{ filter: { field: 'kind', equal: kind } }],
    mark: { type: 'bar', ...mark },
    encoding: { ...binEncoding(entropy.histogram, 'entropy H (nats)'), color, stroke: { field: 'kind', type: 'nominal', scale: color.scale, legend: null } },
  });
  const medianRule = (kind: string, value: number, strokeDash: number[]): UnitSpec<string> => ({
    data: { values: [{ kind, value }] },
    mark: { type: 'rule', strokeWidth: 2, strokeDash },
    encoding: { x: { field: 'value', type: 'quantitative' }, stroke: { field: 'kind', type: 'nominal', scale: color.scale, legend: null } },
  });
  return {
    title: `Epoch ${summary.epoch}: attention entropy of ${entropy.histogram.total} validation reviews`,
    hconcat: [
      {
        width: 320,
        height: 200,
        layer: [
          bars(uniformLabel, { fillOpacity: 0, strokeWidth: 1.5, strokeDash: [4, 2] }),
          bars(attentionLabel, { fillOpacity: 0.75 }),
          medianRule(uniformLabel, uniform.stats.p50, [4, 2]),
          medianRule(attentionLabel, entropy.stats.p50, []),
        ],
      },
      {
        width: 240,
        height: 200,
        layer: [
          {
            data: { values: binRows(normalized.histogram) },
            mark: { type: 'bar', opacity: 0.75, color: ENTROPY_COLOR },
            encoding: binEncoding(normalized.histogram, 'normalised entropy H / log n'),
          },
          {
            data: { values: [{ value: 1, label: 'uniform' }] },
            mark: { type: 'rule', strokeDash: [4, 2], color: UNIFORM_COLOR, strokeWidth: 2 },
            encoding: { x: { field: 'value', type: 'quantitative' } },
          },
          {
            data: { values: [{ value: 1, label: 'uniform' }] },
            mark: { type: 'text', align: 'right', dx: -4, dy: 6, baseline: 'top', color: UNIFORM_COLOR },
            encoding: { x: { field: 'value', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
          },
        ],
      },
    ],
  };
}

/** x/x2 over a histogram's fixed range, y as the share of reviews. */
function binEncoding(histogram: Histogram, title: string): Encoding<string> {
  return {
    x: { field: 'start', type: 'quantitative', bin: 'binned', title, scale: { domain: [histogram.min, histogram.max] } },
    x2: { field: 'end' },
    y: { field: 'share', type: 'quantitative', title: 'share of reviews', axis: { format: '%' } },
  };
}

export async function entropyHistogramSvg(summary: EpochEntropy): Promise<string> {
  return renderSvg(entropyHistogramSpec(summary));
}

/**
 * All epochs at a glance: H / log n per epoch as small multiples stacked top to bottom (a
 * regulariser that focuses attention moves the mass left, away from the uniform line at 1), and
 * its median with the p10–p90 band across epochs.
 */
export function entropyAcrossEpochsSpec(summaries: readonly EpochEntropy[]): TopLevelSpec {
  const rows = summaries.flatMap((summary) => binRows(summary.normalized.histogram, { epoch: summary.epoch }));
  const medians = summaries.map((summary) => ({ epoch: summary.epoch, ...summary.normalized.stats }));
  // Keeps the stack within about one screen however long the run.
  const rowHeight = Math.max(16, Math.min(48, Math.floor(480 / Math.max(1, summaries.length))));
  const xScale = { domain: [0, 1] };
  return {
    title: 'Normalised attention entropy H / log n across epochs (1 = uniform attention)',
    hconcat: [
      {
        data: { values: rows },
        facet: { row: { field: 'epoch', type: 'ordinal', header: { labelAngle: 0, labelAlign: 'left', title: 'epoch' } } },
        spacing: 2,
        // Each epoch at its own height: the shape and place of the mass matter, not its peak.
        resolve: { scale: { y: 'independent' } },
        spec: {
          width: 300,
          height: rowHeight,
          layer: [
            {
              mark: { type: 'bar', opacity: 0.75, color: ENTROPY_COLOR },
              encoding: {
                x: { field: 'start', type: 'quantitative', bin: 'binned', scale: xScale, title: 'H / log n' },
                x2: { field: 'end' },
                y: { field: 'share', type: 'quantitative', axis: null },
              },
            },
            {
              mark: { type: 'rule', strokeDash: [4, 2], color: UNIFORM_COLOR },
              encoding: { x: { datum: 1, type: 'quantitative', scale: xScale } },
            },
          ],
        },
      },
      {
        width: 260,
        height: Math.max(160, Math.min(300, rowHeight * summaries.length)),
        data: { values: medians },
        layer: [
          {
            mark: { type: 'area', opacity: 0.25, color: ENTROPY_COLOR },
            encoding: {
              x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
              y: { field: 'p10', type: 'quantitative', scale: { domain: [0, 1] }, title: 'H / log n: median, p10–p90' },
              y2: { field: 'p90' },
            },
          },
          {
            mark: { type: 'line', point: true, color: ENTROPY_COLOR },
            encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'p50', type: 'quantitative' } },
          },
        ],
      },
    ],
  };
}

export async function entropyAcrossEpochsSvg(summaries: readonly EpochEntropy[]): Promise<string> {
  return renderSvg(entropyAcrossEpochsSpec(summaries));
}

/** ROC and precision–recall curves of a two-class run, with their areas in the titles. */
/** Half a pixel of the curves' 240-pixel panels, in the unit square's coordinates. */
const CURVE_STEP = 1 / 480;

/**
 * The points of a curve drawn in order, without those closer than `step` (in x and in y) to the
 * last point kept: the picture is the same to the pixel, and a curve with a point per scored
 * review (25,000 on IMDB's test split) renders in a fraction of the time. The last point stays.
 */
export function thinCurve(points: readonly { x: number; y: number }[], step: number): { x: number; y: number }[] {
  const kept: { x: number; y: number }[] = [];
  points.forEach((point, index) => {
    const last = kept[kept.length - 1];
    if (!last || index === points.length - 1 || Math.abs(point.x - last.x) >= step || Math.abs(point.y - last.y) >= step) kept.push(point);
  });
  return kept;
}

export function rocPrSpec(curves: BinaryCurves): TopLevelSpec {
  const roc = thinCurve(curves.roc.map((point) => ({ x: point.fpr, y: point.tpr })), CURVE_STEP);
  const pr = thinCurve(curves.pr.map((point) => ({ x: point.recall, y: point.precision })), CURVE_STEP);
  const unit = { domain: [0, 1] };
  const panel = (title: string, values: { x: number; y: number }[], x: string, y: string, diagonal: boolean): UnitSpec<string> | TopLevelSpec => ({
    width: 240,
    height: 240,
    title,
    layer: [
      ...(diagonal
        ? [{ data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: 'line' as const, strokeDash: [4, 2], color: UNIFORM_COLOR }, encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'y', type: 'quantitative' as const } } }]
        : []),
      {
        data: { values },
        mark: { type: 'line', interpolate: diagonal ? 'linear' : 'step-before', color: ENTROPY_COLOR },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: unit, title: x },
          y: { field: 'y', type: 'quantitative', scale: unit, title: y },
          order: { field: 'x', type: 'quantitative' },
        },
      },
    ],
  });
  return {
    title: `Test split, positive class "${curves.positive}"`,
    hconcat: [
      panel(`ROC, AUC ${curves.rocAuc.toFixed(3)}`, roc, 'false positive rate', 'true positive rate', true),
      panel(`Precision–recall, AP ${curves.prAuc.toFixed(3)}`, pr, 'recall', 'precision', false),
    ],
  } as TopLevelSpec;
}

/** Reliability diagram: accuracy against mean confidence per bin, the diagonal being perfect calibration. */
export function calibrationSpec(calibration: Calibration): TopLevelSpec {
  const values = calibration.bins.filter((bin) => bin.count > 0).map((bin) => ({ ...bin, middle: (bin.start + bin.end) / 2 }));
  const unit = { domain: [0, 1] };
  return {
    title: `Reliability of the predicted class's probability (ECE ${calibration.ece.toFixed(3)})`,
    width: 300,
    height: 240,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: 'line', strokeDash: [4, 2], color: UNIFORM_COLOR },
        encoding: { x: { field: 'x', type: 'quantitative', scale: unit }, y: { field: 'y', type: 'quantitative', scale: unit } },
      },
      {
        data: { values },
        mark: { type: 'bar', opacity: 0.6, color: ENTROPY_COLOR },
        encoding: {
          x: { field: 'start', type: 'quantitative', bin: 'binned', scale: unit, title: 'probability of the predicted class' },
          x2: { field: 'end' },
          y: { field: 'accuracy', type: 'quantitative', scale: unit, title: 'share right' },
        },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, color: '#dd6b20' },
        encoding: { x: { field: 'confidence', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, size: { field: 'count', type: 'quantitative', title: 'reviews' } },
      },
    ],
  };
}

/** Per-review faithfulness: τ (attention vs gradient × input) and median |Δp| under permutation. */
export function faithfulnessSpec(reviews: readonly { kendallTau: number; medianDelta: number }[]): TopLevelSpec {
  const values = reviews.filter((review) => Number.isFinite(review.kendallTau) && Number.isFinite(review.medianDelta));
  return {
    title: `Faithfulness of the attention, ${values.length} review${values.length === 1 ? '' : 's'}`,
    width: 320,
    height: 240,
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, opacity: 0.7, color: ENTROPY_COLOR },
        encoding: {
          x: { field: 'kendallTau', type: 'quantitative', scale: { domain: [-1, 1] }, title: 'Kendall τ, attention vs gradient × input' },
          y: { field: 'medianDelta', type: 'quantitative', scale: { domain: [0, 1] }, title: 'median |Δp| when the attention is permuted' },
        },
      },
      {
        data: { values: [{ x: 0 }] },
        mark: { type: 'rule', strokeDash: [4, 2], color: UNIFORM_COLOR },
        encoding: { x: { field: 'x', type: 'quantitative' } },
      },
    ],
  };
}

/** One run's series in a comparison. */
export interface RunSeries {
  readonly run: string;
  readonly history: readonly EpochMetrics[];
}

/** Validation loss and accuracy of several runs, one colour per run. */
export function compareCurvesSpec(runs: readonly RunSeries[]): TopLevelSpec {
  const values = runs.flatMap(({ run, history }) =>
    history.flatMap((row) => [
      ...(Number.isFinite(row.valLoss) ? [{ run, epoch: row.epoch, metric: 'validation loss', value: row.valLoss }] : []),
      ...(Number.isFinite(row.valAccuracy) ? [{ run, epoch: row.epoch, metric: 'validation accuracy', value: row.valAccuracy }] : []),
    ]),
  );
  return {
    title: 'Learning curves',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['validation loss', 'validation accuracy'] } },
    spec: {
      width: 280,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'run', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 480 } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The normalised-entropy histogram of each run's last epoch, overlaid as step lines. */
export function compareEntropySpec(runs: readonly { run: string; histogram: Histogram }[]): TopLevelSpec {
  const values = runs.flatMap(({ run, histogram }) => binRows(histogram, { run }).map((row) => ({ ...row, middle: (Number(row.start) + Number(row.end)) / 2 })));
  return {
    title: 'Normalised attention entropy H / log n, last epoch (1 = uniform)',
    width: 420,
    height: 220,
    data: { values },
    mark: { type: 'line', interpolate: 'step', point: false },
    encoding: {
      x: { field: 'middle', type: 'quantitative', scale: { domain: [0, 1] }, title: 'H / log n' },
      y: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: 'share of reviews' },
      color: { field: 'run', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 480 } },
    },
  };
}
