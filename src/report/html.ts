/**
 * Self-contained HTML pages (inline CSS, charts as data-URI images, no scripts, no network):
 * `attention.html`, the attention over chosen reviews, and `report.html`, everything about a run.
 * Every piece of text that comes from data (reviews, labels, config, run name) is escaped.
 */
import { calibrationSpec, entropyAcrossEpochsSvg, entropyHistogramSvg, faithfulnessSpec, learningCurvesSvg, renderSvg, rocPrSpec } from './charts.js';
import type { EpochMetrics } from './charts.js';
import type { EpochEntropy, SummaryStats } from './entropy.js';
import { checkExample, cutNote, exampleEntropy, formatWeight, isCorrect, topAttended, topWords } from './examples.js';
import type { AttentionExample, ExampleSection } from './examples.js';
import { describeFaithfulness } from './faithfulness.js';
import type { FaithfulnessSummary } from './faithfulness.js';
import type { ClassificationMetrics } from './metrics.js';

/** Words listed with their exact weights under each review (hover needs a mouse; phones have none). */
const TOP_WORDS = 5;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light; --ink: #1a202c; --muted: #4a5568; --line: #e2e8f0; --right: #2f855a; --wrong: #c53030; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1rem 0 0.25rem; }
nav { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; font-size: 0.95rem; }
.note { color: var(--muted); font-size: 0.9rem; }
.review { border: 1px solid var(--line); border-left: 4px solid var(--muted); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.75rem 0; }
.review.right { border-left-color: var(--right); }
.review.wrong { border-left-color: var(--wrong); }
.review header { font-size: 0.9rem; color: var(--muted); }
.verdict { font-weight: 600; }
.right .verdict { color: var(--right); }
.wrong .verdict { color: var(--wrong); }
.text { line-height: 1.9; overflow-wrap: anywhere; margin: 0.5rem 0; }
.text span { border-radius: 3px; padding: 0.1em 0.05em; }
.top { font-size: 0.9rem; margin: 0.25rem 0; }
.cut { font-size: 0.9rem; margin: 0.25rem 0; color: var(--muted); border-top: 2px dashed var(--line); padding-top: 0.25rem; }
details summary { cursor: pointer; color: var(--muted); font-size: 0.9rem; }
figure { margin: 1rem 0; overflow-x: auto; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.9rem; }
table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; display: block; overflow-x: auto; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid var(--line); text-align: right; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.25rem 1rem; margin: 0.5rem 0 1rem; padding: 0; }
.facts div { border-bottom: 1px solid var(--line); }
.facts dt { color: var(--muted); font-size: 0.8rem; }
.facts dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
table.confusion td.cell { text-align: center; min-width: 5rem; }
pre { background: #f7fafc; border: 1px solid var(--line); padding: 0.75rem; overflow-x: auto; font-size: 0.85rem; }
`;

export function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // An empty icon keeps the browser from asking the network (or the disk) for /favicon.ico.
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    `<body><main>${body}</main></body></html>`,
  ].join('\n');
}

/** Tint of a word: its weight relative to the review's largest, so long reviews stay visible. */
function tint(weight: number, maxWeight: number): string {
  const alpha = maxWeight > 0 ? weight / maxWeight : 0;
  return `rgba(237,137,54,${alpha.toFixed(3)})`;
}

function shadedText(tokens: readonly string[], weights: ArrayLike<number>, verdict: string): string {
  const maxWeight = Math.max(...Array.from(weights));
  const ranks = new Map(topAttended(tokens, weights, tokens.length).map((entry, rank) => [entry.position, rank + 1]));
  const words = tokens.map((token, position) => {
    const weight = weights[position];
    const tip = `weight ${formatWeight(weight)} (#${ranks.get(position)} of ${tokens.length})${verdict}`;
    return `<span style="background:${tint(weight, maxWeight)}" title="${escapeHtml(tip)}">${escapeHtml(token)}</span>`;
  });
  return `<p class="text">${words.join(' ')}</p>`;
}

function topWordsLine(tokens: readonly string[], weights: ArrayLike<number>): string {
  const items = topWords(tokens, weights, TOP_WORDS).map(
    (word) => `<b>${escapeHtml(word.token)}</b> ${formatWeight(word.weight)}${word.count > 1 ? ` (×${word.count})` : ''}`,
  );
  return `<p class="top">Top words: ${items.join(' · ')}</p>`;
}

function cutLine(example: AttentionExample): string {
  const cut = cutNote(example);
  return cut ? `<p class="cut">✂ ${escapeHtml(cut)}: the model read no further.</p>` : '';
}

function verdictOf(example: AttentionExample): { className: string; text: string } {
  const correct = isCorrect(example);
  if (correct === undefined) return { className: '', text: '' };
  return correct ? { className: 'right', text: '✓ right' } : { className: 'wrong', text: '✗ wrong' };
}

function renderReview(example: AttentionExample): string {
  checkExample(example);
  const verdict = verdictOf(example);
  const { entropy, normalized } = exampleEntropy(example);
  const predicted = `predicted ${example.predicted} (p = ${example.probability.toFixed(3)})`;
  const truth = example.label === undefined ? '' : `, true ${example.label}`;
  const facts = [
    verdict.text ? `<span class="verdict">${verdict.text}</span>` : '',
    escapeHtml(predicted + truth),
    `H = ${entropy.toFixed(2)} nats, H / log n = ${normalized.toFixed(2)}, n = ${example.tokens.length}`,
    example.faithfulness
      ? `τ(attention, grad × input) = ${example.faithfulness.kendallTau.toFixed(2)}, ` +
        `median |Δp| under permutation = ${example.faithfulness.permutation.median.toFixed(3)}`
      : '',
  ].filter(Boolean);
  const headsBlock = example.heads?.length
    ? `<details><summary>${example.heads.length} attention heads</summary>${example.heads
        .map((weights, head) => `<h3>Head ${head + 1}</h3>${shadedText(example.tokens, weights, '')}`)
        .join('')}</details>`
    : '';
  const id = example.id === undefined ? '' : ` data-id="${escapeHtml(example.id)}"`;
  return [
    `<article class="review ${verdict.className}"${id}>`,
    `<header>${facts.join(' · ')}</header>`,
    shadedText(example.tokens, example.weights, ` · ${predicted}${truth}`),
    cutLine(example),
    topWordsLine(example.tokens, example.weights),
    headsBlock,
    '</article>',
  ].join('\n');
}

function renderSections(sections: readonly ExampleSection[], heading: 'h2' | 'h3'): string {
  return sections
    .map((section) => {
      const reviews = section.examples.length
        ? section.examples.map(renderReview).join('\n')
        : '<p class="note">No review in this group.</p>';
      return (
        `<section id="${escapeHtml(section.id)}"><${heading}>${escapeHtml(section.title)}</${heading}>` +
        `<p class="note">${escapeHtml(section.description)}</p>${reviews}</section>`
      );
    })
    .join('\n');
}

const SHADING_NOTE =
  '<p class="note">Each word is tinted by its attention weight, relative to the largest weight in its review. ' +
  'Hover over a word for its exact weight and rank.</p>';

function navigation(links: readonly { id: string; title: string }[]): string {
  return `<nav>${links.map((link) => `<a href="#${escapeHtml(link.id)}">${escapeHtml(link.title)}</a>`).join('')}</nav>`;
}

/** The reviews' own faithfulness measurements, for the chart. */
function measuredReviews(sections: readonly ExampleSection[]): { kendallTau: number; medianDelta: number }[] {
  const seen = new Set<AttentionExample>();
  return sections
    .flatMap((section) => section.examples)
    .filter((example) => !seen.has(example) && seen.add(example) && example.faithfulness !== undefined)
    .map((example) => ({ kendallTau: example.faithfulness!.kendallTau, medianDelta: example.faithfulness!.permutation.median }));
}

async function renderFaithfulness(summary: FaithfulnessSummary, sections: readonly ExampleSection[]): Promise<string> {
  const lines = describeFaithfulness(summary).map((line) => `<p>${escapeHtml(line)}</p>`);
  const reviews = measuredReviews(sections);
  const chart = reviews.length
    ? svgFigure(
        await renderSvg(faithfulnessSpec(reviews)),
        'Each review: Kendall τ between attention and gradient × input, against the prediction change when the attention is permuted',
        'Right: attention ranks the words as the gradient does; up: the prediction depends on where the attention goes. Attention that explains sits top right.',
      )
    : '';
  const count = (summary.reviews === 1 ? '1 review' : `${summary.reviews} reviews`) + (summary.chosen ? ` (${escapeHtml(summary.chosen)})` : '');
  return (
    '<section id="faithfulness"><h2>Is attention explanation?</h2>' +
    `<p class="note">Jain &amp; Wallace (NAACL 2019): ${count}, attention compared with ` +
    'gradient × input importance, and the prediction under random permutations of the attention.</p>' +
    `${chart}${lines.join('')}</section>`
  );
}

export interface AttentionHtmlOptions {
  readonly title?: string;
  readonly faithfulness?: FaithfulnessSummary;
  readonly header?: RunHeader;
}

/** `attention.html`: the given sections of reviews (see `selectExamples`), words tinted by attention. */
export async function renderAttentionHtml(sections: readonly ExampleSection[], options: AttentionHtmlOptions = {}): Promise<string> {
  const title = options.title ?? 'Attention over reviews';
  const links = [...sections, ...(options.faithfulness ? [{ id: 'faithfulness', title: 'Faithfulness' }] : [])];
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    renderHeader(options.header),
    navigation(links),
    SHADING_NOTE,
    renderSections(sections, 'h2'),
    options.faithfulness ? await renderFaithfulness(options.faithfulness, sections) : '',
  ];
  return page(title, body.join('\n'));
}

/** The facts a reader looks for first, at the top of every page about a run. */
export interface RunHeader {
  readonly runName: string;
  readonly runId?: string;
  /** When the run started, ms since the epoch. */
  readonly startTime?: number;
  /** The dataset plugin, e.g. `imdb`. */
  readonly dataset?: string;
  readonly splits?: { readonly train: number; readonly validation: number; readonly test: number };
  readonly testAccuracy?: number;
  readonly testMacroF1?: number;
  readonly bestEpoch?: number;
  readonly epochsRun?: number;
  readonly trainSeconds?: number;
  readonly backend?: string;
}

const percent = (value: number): string => `${(100 * value).toFixed(2)}%`;

/** `1 h 02 min`, `3 min 07 s`, `42.0 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  return hours > 0 ? `${hours} h ${String(minutes).padStart(2, '0')} min` : `${minutes} min ${String(rest).padStart(2, '0')} s`;
}

/** The header's facts as label → value, those known only; also used by the terminal and `compare`. */
export function headerFacts(header: RunHeader): [string, string][] {
  const facts: [string, string | undefined][] = [
    ['run', header.runName],
    ['run id', header.runId],
    ['date (UTC)', header.startTime === undefined ? undefined : new Date(header.startTime).toISOString().slice(0, 16).replace('T', ' ')],
    ['dataset', header.dataset],
    [
      'train / validation / test',
      header.splits ? [header.splits.train, header.splits.validation, header.splits.test].map((count) => count.toLocaleString('en-US')).join(' / ') : undefined,
    ],
    ['test accuracy', header.testAccuracy === undefined ? undefined : percent(header.testAccuracy)],
    ['test macro-F1', header.testMacroF1 === undefined ? undefined : header.testMacroF1.toFixed(4)],
    ['best epoch', header.bestEpoch === undefined ? undefined : String(header.bestEpoch)],
    ['epochs run', header.epochsRun === undefined ? undefined : String(header.epochsRun)],
    ['training time', header.trainSeconds === undefined ? undefined : formatSeconds(header.trainSeconds)],
    ['backend', header.backend],
  ];
  return facts.filter((fact): fact is [string, string] => fact[1] !== undefined);
}

function renderHeader(header: RunHeader | undefined): string {
  if (!header) return '';
  const items = headerFacts(header).map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`);
  return `<dl class="facts" id="summary">${items.join('')}</dl>`;
}

function number(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** Counts with the row share under each, the cell tinted by the share. */
function confusionTable(metrics: ClassificationMetrics): string {
  const head = `<tr><th>true \\ predicted</th>${metrics.classes.map((name) => `<th>${escapeHtml(name)}</th>`).join('')}<th>total</th></tr>`;
  const rows = metrics.confusion.map((row, truth) => {
    const cells = row.map((count, predicted) => {
      const share = metrics.confusionNormalized[truth][predicted];
      const color = truth === predicted ? '47,133,90' : '197,48,48';
      return `<td class="cell" style="background:rgba(${color},${(0.6 * share).toFixed(3)})">${count.toLocaleString('en-US')}<br><small>${(100 * share).toFixed(1)}%</small></td>`;
    });
    const total = row.reduce((sum, count) => sum + count, 0);
    return `<tr><th>${escapeHtml(metrics.classes[truth])}</th>${cells.join('')}<td>${total.toLocaleString('en-US')}</td></tr>`;
  });
  return `<table class="confusion" id="confusion-matrix"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function classTable(metrics: ClassificationMetrics): string {
  const head = '<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>reviews</th></tr>';
  const rows = metrics.perClass.map(
    (score) => `<tr><th>${escapeHtml(score.name)}</th><td>${number(score.precision)}</td><td>${number(score.recall)}</td><td>${number(score.f1)}</td><td>${score.support.toLocaleString('en-US')}</td></tr>`,
  );
  const macro = `<tr><th>macro average</th><td></td><td></td><td>${number(metrics.macroF1)}</td><td>${metrics.total.toLocaleString('en-US')}</td></tr>`;
  return `<table id="class-scores"><thead>${head}</thead><tbody>${rows.join('')}${macro}</tbody></table>`;
}

async function diagnosticsSection(metrics: ClassificationMetrics): Promise<string> {
  const curves = metrics.binary
    ? svgFigure(
        await renderSvg(rocPrSpec(metrics.binary)),
        `ROC curve (AUC ${number(metrics.binary.rocAuc)}) and precision–recall curve (AP ${number(metrics.binary.prAuc)})`,
        `ROC AUC ${number(metrics.binary.rocAuc)} · PR AUC (average precision) ${number(metrics.binary.prAuc)}; the dashed diagonal is a classifier that guesses.`,
      )
    : '';
  const reliability = svgFigure(
    await renderSvg(calibrationSpec(metrics.calibration)),
    `Reliability diagram, expected calibration error ${number(metrics.calibration.ece)}`,
    'Bars: share of right predictions per bin of the predicted class probability; dots: the bin’s mean probability (size: reviews). On the dashed diagonal the probabilities can be taken at their word.',
  );
  return [
    '<section id="diagnostics"><h2>Test split: how the classifier does</h2>',
    `<p class="note">${metrics.total.toLocaleString('en-US')} test reviews scored once with the best epoch; accuracy ${percent(metrics.accuracy)}, macro-F1 ${number(metrics.macroF1, 4)}.</p>`,
    '<h3>Confusion matrix</h3><p class="note">Rows: true class; columns: predicted. Each cell: the count and its share of the row.</p>',
    confusionTable(metrics),
    '<h3>Per class</h3>',
    classTable(metrics),
    curves,
    '<h3>Calibration</h3>',
    reliability,
    '</section>',
  ].join('\n');
}

export function svgFigure(svg: string, alt: string, caption = ''): string {
  // As images, the SVGs keep their own id namespaces: vega numbers clip paths from 1 in every
  // render, and inlined charts would clip each other.
  const source = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  const figcaption = caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : '';
  return `<figure><img src="${source}" alt="${escapeHtml(alt)}">${figcaption}</figure>`;
}

function statsCells(stats: SummaryStats): string {
  return [stats.mean, stats.p10, stats.p50, stats.p90].map((value) => `<td>${value.toFixed(3)}</td>`).join('');
}

function entropyTable(entropyByEpoch: readonly EpochEntropy[]): string {
  const head =
    '<tr><th>epoch</th><th>H mean</th><th>H p10</th><th>H p50</th><th>H p90</th>' +
    '<th>H/log n mean</th><th>p10</th><th>p50</th><th>p90</th></tr>';
  const rows = entropyByEpoch.map(
    (summary) => `<tr><td>${summary.epoch}</td>${statsCells(summary.entropy.stats)}${statsCells(summary.normalized.stats)}</tr>`,
  );
  return `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

async function entropySection(entropyByEpoch: readonly EpochEntropy[]): Promise<string> {
  if (entropyByEpoch.length === 0) {
    return '<section id="entropy"><h2>Attention entropy</h2><p class="note">No epoch recorded attention.</p></section>';
  }
  const last = entropyByEpoch.length - 1;
  const perEpoch = await Promise.all(
    entropyByEpoch.map(async (summary, index) => {
      const open = index === last ? ' open' : '';
      const figure = svgFigure(await entropyHistogramSvg(summary), `Attention entropy histogram, epoch ${summary.epoch}`);
      return `<details${open}><summary>Epoch ${summary.epoch}</summary>${figure}</details>`;
    }),
  );
  const combined = svgFigure(
    await entropyAcrossEpochsSvg(entropyByEpoch),
    'Normalised attention entropy across epochs',
    'Mass moving left, away from 1, means attention focuses on fewer words.',
  );
  return [
    '<section id="entropy"><h2>Attention entropy</h2>',
    '<p class="note">Entropy H (nats) of each validation review\'s attention; uniform attention over n tokens gives log n, ' +
      'so H / log n = 1 is uniform and 0 is all weight on one word.</p>',
    combined,
    entropyTable(entropyByEpoch),
    '<h3>Per epoch</h3>',
    ...perEpoch,
    '</section>',
  ].join('\n');
}

/** Everything `report.html` shows about a run. */
export interface RunReportInput {
  readonly runName: string;
  /** The resolved config, as YAML text. */
  readonly config: string;
  readonly history: readonly EpochMetrics[];
  readonly entropyByEpoch: readonly EpochEntropy[];
  /** Reviews to show, usually `selectExamples(scoredValidationReviews)`. */
  readonly examples: readonly ExampleSection[];
  readonly faithfulness?: FaithfulnessSummary;
  /** The header's facts; `runName` alone when absent. */
  readonly header?: RunHeader;
  /** The test split's diagnostics: confusion matrix, per-class scores, curves, calibration. */
  readonly classification?: ClassificationMetrics;
}

/** `report.html`: summary, test diagnostics, learning curves, entropy, attention examples, faithfulness, config. */
export async function renderRunReport(input: RunReportInput): Promise<string> {
  const links = [
    ...(input.classification ? [{ id: 'diagnostics', title: 'Test diagnostics' }] : []),
    { id: 'curves', title: 'Learning curves' },
    { id: 'entropy', title: 'Attention entropy' },
    { id: 'examples', title: 'Attention examples' },
    ...(input.faithfulness ? [{ id: 'faithfulness', title: 'Faithfulness' }] : []),
    { id: 'config', title: 'Config' },
  ];
  const body = [
    `<h1>Run ${escapeHtml(input.runName)}</h1>`,
    renderHeader(input.header ?? { runName: input.runName }),
    navigation(links),
    input.classification ? await diagnosticsSection(input.classification) : '',
    '<section id="curves"><h2>Learning curves</h2>',
    svgFigure(await learningCurvesSvg(input.history), 'Train and validation loss and accuracy per epoch'),
    '</section>',
    await entropySection(input.entropyByEpoch),
    '<section id="examples"><h2>Attention examples</h2>',
    SHADING_NOTE,
    renderSections(input.examples, 'h3'),
    '</section>',
    input.faithfulness ? await renderFaithfulness(input.faithfulness, input.examples) : '',
    `<section id="config"><h2>Config</h2><pre>${escapeHtml(input.config)}</pre></section>`,
  ];
  return page(`Run ${input.runName}`, body.join('\n'));
}
