/**
 * Self-contained HTML pages (inline CSS, charts as data-URI images, no scripts, no network):
 * `attention.html`, the attention over chosen reviews, and `report.html`, everything about a run.
 * Every piece of text that comes from data (reviews, labels, config, run name) is escaped.
 */
import { entropyAcrossEpochsSvg, entropyHistogramSvg, learningCurvesSvg } from './charts.js';
import type { EpochMetrics } from './charts.js';
import type { EpochEntropy, SummaryStats } from './entropy.js';
import { checkExample, exampleEntropy, formatWeight, isCorrect, topAttended } from './examples.js';
import type { AttentionExample, ExampleSection } from './examples.js';
import { describeFaithfulness } from './faithfulness.js';
import type { FaithfulnessSummary } from './faithfulness.js';

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
details summary { cursor: pointer; color: var(--muted); font-size: 0.9rem; }
figure { margin: 1rem 0; overflow-x: auto; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.9rem; }
table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; display: block; overflow-x: auto; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid var(--line); text-align: right; }
pre { background: #f7fafc; border: 1px solid var(--line); padding: 0.75rem; overflow-x: auto; font-size: 0.85rem; }
`;

function page(title: string, body: string): string {
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

function topWords(tokens: readonly string[], weights: ArrayLike<number>): string {
  const items = topAttended(tokens, weights, TOP_WORDS).map(
    (entry) => `<b>${escapeHtml(entry.token)}</b> ${formatWeight(entry.weight)}`,
  );
  return `<p class="top">Top words: ${items.join(' · ')}</p>`;
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
    topWords(example.tokens, example.weights),
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

function renderFaithfulness(summary: FaithfulnessSummary): string {
  const lines = describeFaithfulness(summary).map((line) => `<p>${escapeHtml(line)}</p>`);
  return (
    '<section id="faithfulness"><h2>Is attention explanation?</h2>' +
    `<p class="note">Jain &amp; Wallace (NAACL 2019): ${summary.reviews} reviews, attention compared with ` +
    'gradient × input importance, and the prediction under random permutations of the attention.</p>' +
    `${lines.join('')}</section>`
  );
}

export interface AttentionHtmlOptions {
  readonly title?: string;
  readonly faithfulness?: FaithfulnessSummary;
}

/** `attention.html`: the given sections of reviews (see `selectExamples`), words tinted by attention. */
export function renderAttentionHtml(sections: readonly ExampleSection[], options: AttentionHtmlOptions = {}): string {
  const title = options.title ?? 'Attention over reviews';
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    navigation(sections),
    SHADING_NOTE,
    renderSections(sections, 'h2'),
    options.faithfulness ? renderFaithfulness(options.faithfulness) : '',
  ];
  return page(title, body.join('\n'));
}

function svgFigure(svg: string, alt: string, caption = ''): string {
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
}

/** `report.html`: learning curves, entropy histograms, attention examples, faithfulness, config. */
export async function renderRunReport(input: RunReportInput): Promise<string> {
  const links = [
    { id: 'curves', title: 'Learning curves' },
    { id: 'entropy', title: 'Attention entropy' },
    { id: 'examples', title: 'Attention examples' },
    ...(input.faithfulness ? [{ id: 'faithfulness', title: 'Faithfulness' }] : []),
    { id: 'config', title: 'Config' },
  ];
  const body = [
    `<h1>Run ${escapeHtml(input.runName)}</h1>`,
    navigation(links),
    '<section id="curves"><h2>Learning curves</h2>',
    svgFigure(await learningCurvesSvg(input.history), 'Train and validation loss and accuracy per epoch'),
    '</section>',
    await entropySection(input.entropyByEpoch),
    '<section id="examples"><h2>Attention examples</h2>',
    SHADING_NOTE,
    renderSections(input.examples, 'h3'),
    '</section>',
    input.faithfulness ? renderFaithfulness(input.faithfulness) : '',
    `<section id="config"><h2>Config</h2><pre>${escapeHtml(input.config)}</pre></section>`,
  ];
  return page(`Run ${input.runName}`, body.join('\n'));
}
