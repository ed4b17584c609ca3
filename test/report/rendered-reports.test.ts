import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHROMIUM, screenshotPage } from '../../scripts/screenshot-report.js';
import { renderAttentionHtml } from '../../src/report/html.js';
import { explainRun } from '../../src/run/explain.js';
import { trainTinyRun } from '../helpers/tiny-run.js';

// Chromium renders every page a run writes, as a reader opens it; without the browser (CI, a
// developer machine without the Debian package) the tests are reported as skipped.
const hasChromium = existsSync(DEFAULT_CHROMIUM);
const withChromium = hasChromium ? test.serial : test.serial.skip;
if (!hasChromium) console.log(`rendered-reports: ${DEFAULT_CHROMIUM} not found; the headless Chromium checks are skipped`);

let folder = '';
const run = hasChromium ? trainTinyRun() : undefined;

test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'attnlab-rendered-'));
});
test.after.always(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** The last value logged for a metric in the run's file-store folder. */
function metric(artifactDir: string, key: string): number {
  const lines = readFileSync(join(artifactDir, '..', 'metrics', key), 'utf8').trim().split('\n');
  return Number(lines.at(-1)?.split(' ')[1]);
}

async function rendered(html: string, name: string): Promise<string> {
  const png = join(folder, `${name}.png`);
  const result = await screenshotPage(html, png, { width: 1100 });
  if (result.errors.length) throw new Error(`${name}: ${result.errors.join('; ')}`);
  return result.text;
}

function checkHeader(t: import('ava').ExecutionContext, text: string, result: Awaited<ReturnType<typeof trainTinyRun>>): void {
  const artifactDir = result.artifactDir ?? '';
  t.true(text.includes(result.runId), 'run id');
  t.true(text.includes(`${(100 * metric(artifactDir, 'test_accuracy')).toFixed(2)}%`), 'test accuracy');
  t.true(text.includes(metric(artifactDir, 'test_macro_f1').toFixed(4)), 'macro-F1');
  t.regex(text, /train \/ validation \/ test\s+\d+ \/ \d+ \/ 120/);
  t.regex(text, new RegExp(`best epoch\\s+${result.bestEpoch}`));
  t.regex(text, /epochs run\s+2/);
  t.regex(text, new RegExp(`backend\\s+${result.backend}`));
}

withChromium('report.html shows the header numbers and the confusion matrix in Chromium', async (t) => {
  const result = await run!;
  const text = await rendered(join(result.artifactDir ?? '', 'report.html'), 'report');
  checkHeader(t, text, result);
  t.true(text.includes('Confusion matrix'));
  // The two rows of the matrix: the true class, then count and share per predicted class.
  const rows = [...text.matchAll(/^(neg|pos)\t(\d+)\n([\d.]+)%\t(\d+)\n([\d.]+)%\t(\d+)$/gm)];
  t.is(rows.length, 2, text.slice(text.indexOf('Confusion matrix'), text.indexOf('Per class')));
  const total = rows.reduce((sum, row) => sum + Number(row[2]) + Number(row[4]), 0);
  t.is(total, 120, 'the matrix counts every test review');
  const right = Number(rows[0][2]) + Number(rows[1][4]);
  t.is(right / 120, metric(result.artifactDir ?? '', 'test_accuracy'), 'its diagonal is the test accuracy');
  t.regex(text, /ROC AUC \d\.\d{3}/);
});

withChromium('attention.html and explain --html show the run header in Chromium', async (t) => {
  const result = await run!;
  checkHeader(t, await rendered(join(result.artifactDir ?? '', 'attention.html'), 'attention'), result);
  const explanation = await explainRun(result.artifactDir ?? '', { examples: 3, permutations: 5 });
  const page = join(folder, 'explain.html');
  await writeFile(page, await renderAttentionHtml([{ id: 'reviews', title: 'Reviews', description: '', examples: explanation.examples }], { header: explanation.header, faithfulness: explanation.faithfulness }));
  checkHeader(t, await rendered(page, 'explain'), result);
});
