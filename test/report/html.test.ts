import test from 'ava';
import { DataError } from '../../src/errors.js';
import type { AttentionExample, ExampleSection } from '../../src/report/examples.js';
import { summarizeFaithfulness } from '../../src/report/faithfulness.js';
import { escapeHtml, renderAttentionHtml, renderRunReport } from '../../src/report/html.js';
import { demoReportInput } from '../../src/report/demo.js';

const hostile: AttentionExample = {
  id: 'r"1',
  tokens: ['<script>alert(1)</script>', 'great', '&amp;', '"quoted"'],
  weights: [0.1, 0.6, 0.2, 0.1],
  predicted: 'pos<b>',
  probability: 0.8766,
  label: 'neg',
};

const sections = (examples: AttentionExample[]): ExampleSection[] => [
  { id: 'picked', title: 'Picked <reviews>', description: 'Chosen by hand & tested.', examples },
];

/** The text of the page with every tag removed: what a reader sees. */
function visibleText(html: string): string {
  return html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]*>/g, ' ');
}

test('escapeHtml escapes the five markup characters', (t) => {
  t.is(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
});

test('a review containing <script> renders as text, never as markup', async (t) => {
  const html = await renderAttentionHtml(sections([hostile]));
  t.false(/<script/i.test(html), 'no script element anywhere in the page');
  t.false(html.includes('pos<b>'), 'labels are escaped too');
  t.true(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
  t.true(html.includes('&#38;amp;'), 'an entity in the text is shown literally');
  t.true(html.includes('data-id="r&#34;1"'));
  t.true(visibleText(html).includes('Picked &#60;reviews&#62;'));
});

test('each word is tinted by its weight relative to the review maximum, with the exact weight on hover', async (t) => {
  const html = await renderAttentionHtml(sections([hostile]));
  t.true(html.includes('<span style="background:rgba(237,137,54,1.000)" title="weight 0.600 (#1 of 4)'));
  t.true(html.includes('<span style="background:rgba(237,137,54,0.333)" title="weight 0.200 (#2 of 4)'));
  t.regex(html, /title="weight 0\.600 \(#1 of 4\) · predicted pos&#60;b&#62; \(p = 0\.877\), true neg"/);
  t.true(html.includes('✗ wrong'));
  t.true(html.includes('Top words: <b>great</b> 0.600'));
});

test('the page is self-contained and made for small screens', async (t) => {
  const html = await renderAttentionHtml(sections([hostile]));
  t.false(/(src|href)="(https?:)?\/\//.test(html), 'nothing loaded from the network');
  t.true(html.includes('<meta name="viewport" content="width=device-width, initial-scale=1">'));
  t.true(html.includes('<style>'));
});

test('per-head weights are shown as their own rows', async (t) => {
  const example = { ...hostile, heads: [[0.25, 0.25, 0.25, 0.25], [0, 0, 1, 0]] };
  const html = await renderAttentionHtml(sections([example]));
  t.true(html.includes('<summary>2 attention heads</summary>'));
  t.true(html.includes('<h3>Head 1</h3>') && html.includes('<h3>Head 2</h3>'));
  t.true(html.includes('title="weight 1.00 (#1 of 4)"'), 'head 2 puts all its weight on one word');
});

test('reviews whose weights do not fit their tokens are refused', async (t) => {
  await t.throwsAsync(() => renderAttentionHtml(sections([{ ...hostile, weights: [1] }])), { instanceOf: DataError });
});

test('empty sections say so instead of vanishing', async (t) => {
  t.true((await renderAttentionHtml(sections([]))).includes('No review in this group.'));
});

test('the run report holds the curves, entropy figures, examples and the escaped config', async (t) => {
  const input = demoReportInput(11, 3);
  const html = await renderRunReport({ ...input, runName: 'run <1>', config: 'name: "</pre><script>x()</script>"\n' });
  t.false(/<script/i.test(html));
  t.true(html.includes('<h1>Run run &#60;1&#62;</h1>'));
  t.true(html.includes('&#60;/pre&#62;&#60;script&#62;'));
  // ROC/PR and calibration, curves, the combined entropy figure, then one histogram per epoch.
  t.is(html.split('<img src="data:image/svg+xml;base64,').length - 1, 2 + 2 + 3);
  for (const id of ['curves', 'entropy', 'examples', 'config', 'confident-right', 'confident-wrong', 'highest-entropy', 'lowest-entropy']) {
    t.true(html.includes(`id="${id}"`), id);
  }
  t.false(html.includes('id="faithfulness"'), 'no faithfulness section unless measured');
  t.true(html.includes('<details open><summary>Epoch 3</summary>'), 'the last epoch is shown open');
});

test('the run report embeds charts that are valid SVG documents', async (t) => {
  const html = await renderRunReport(demoReportInput(11, 2));
  const first = /<img src="data:image\/svg\+xml;base64,([^"]+)" alt="Train and validation/.exec(html)?.[1] ?? '';
  const svg = Buffer.from(first, 'base64').toString('utf8');
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.true(svg.includes('Learning curves'));
});

test('faithfulness results get their own section', async (t) => {
  const permutation = { median: 0.02, mean: 0.03, max: 0.1, deltas: Float64Array.from([0.01, 0.02, 0.1]) };
  const faithfulness = summarizeFaithfulness([
    { kendallTau: 0.3, permutation },
    { kendallTau: 0.5, permutation },
  ]);
  const html = await renderRunReport({ ...demoReportInput(11, 1), faithfulness });
  t.true(html.includes('id="faithfulness"'));
  t.true(html.includes('median 0.400'));
  t.true(html.includes('under 3 random permutations'));
});

test('the run report opens with the facts people look for first', async (t) => {
  const input = demoReportInput(11, 4);
  const html = await renderRunReport(input);
  const summary = /<dl class="facts" id="summary">([\s\S]*?)<\/dl>/.exec(html)?.[1] ?? '';
  const facts = Object.fromEntries([...summary.matchAll(/<dt>([^<]*)<\/dt><dd>([^<]*)<\/dd>/g)].map((match) => [match[1], match[2]]));
  t.deepEqual(facts, {
    run: 'demo-11',
    'run id': input.header?.runId,
    'date (UTC)': '2026-01-02 03:04',
    dataset: 'synthetic',
    'train / validation / test': '2,000 / 250 / 400',
    'test accuracy': `${(100 * input.classification!.accuracy).toFixed(2)}%`,
    'test macro-F1': input.classification!.macroF1.toFixed(4),
    'best epoch': '4',
    'epochs run': '4',
    'training time': '1 min 15 s',
    backend: 'wasm',
  });
  t.true(html.indexOf('id="summary"') < html.indexOf('id="curves"'), 'the facts come before the charts');
});

test('the run report shows the confusion matrix with counts and row shares, and per-class scores', async (t) => {
  const input = demoReportInput(11, 2);
  const html = await renderRunReport(input);
  const matrix = input.classification!.confusion;
  const table = /<table class="confusion" id="confusion-matrix">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  const cells = [...table.matchAll(/<td class="cell"[^>]*>([\d,]+)<br><small>([\d.]+)%<\/small>/g)].map((match) => [Number(match[1]), Number(match[2])]);
  t.deepEqual(
    cells.map(([count]) => count),
    matrix.flat(),
  );
  t.is(cells[0][1], Number(((100 * matrix[0][0]) / (matrix[0][0] + matrix[0][1])).toFixed(1)));
  const negative = input.classification!.perClass[0];
  t.true(html.includes(`<tr><th>negative</th><td>${negative.precision.toFixed(3)}</td><td>${negative.recall.toFixed(3)}</td><td>${negative.f1.toFixed(3)}</td>`));
  t.true(html.includes(`alt="ROC curve (AUC ${input.classification!.binary!.rocAuc.toFixed(3)})`));
  t.true(html.includes('alt="Reliability diagram'));
});

test('top words list each word once, with its summed weight and how often it occurs', async (t) => {
  const example: AttentionExample = { tokens: ['conan', 'was', 'conan', 'great', 'conan'], weights: [0.2, 0.1, 0.2, 0.3, 0.2], predicted: 'pos', probability: 0.9 };
  const html = await renderAttentionHtml(sections([example]));
  t.true(html.includes('Top words: <b>conan</b> 0.600 (×3) · <b>great</b> 0.300 · <b>was</b> 0.100</p>'));
});

test('a review cut to max_length says where it was cut; a whole one says nothing', async (t) => {
  const cut = await renderAttentionHtml(sections([{ ...hostile, fullLength: 812 }]));
  t.true(cut.includes('cut after word 4 of 812: the model read no further.'));
  const whole = await renderAttentionHtml(sections([{ ...hostile, fullLength: 4 }]));
  t.false(whole.includes('class="cut"'));
});

test('faithfulness is drawn per review as a chart, and one review is not "1 reviews"', async (t) => {
  const permutation = { median: 0.02, mean: 0.03, max: 0.1, deltas: Float64Array.from([0.01, 0.02, 0.1]) };
  const faithfulness = summarizeFaithfulness([{ kendallTau: 0.3, permutation }]);
  const html = await renderAttentionHtml(sections([{ ...hostile, faithfulness: { kendallTau: 0.3, permutation } }]), { faithfulness });
  const chart = /<section id="faithfulness">[\s\S]*?<img src="data:image\/svg\+xml;base64,([^"]+)"/.exec(html)?.[1];
  t.truthy(chart, 'a chart in the faithfulness section');
  t.true(Buffer.from(chart ?? '', 'base64').toString('utf8').includes('Faithfulness of the attention, 1 review<'));
  t.true(html.includes('over 1 review:'));
  t.true(html.includes('Jain &amp; Wallace (NAACL 2019): 1 review,'));
});
