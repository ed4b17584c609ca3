import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRuns, formatComparison, renderComparisonHtml, resolveRuns, sweepComparisonPage } from '../../src/report/compare.js';
import { runCliInProcess } from '../helpers/cli.js';
import { trainTinyRun } from '../helpers/tiny-run.js';

const store = mkdtempSync(join(tmpdir(), 'attnlab-compare-'));
// Two tiny runs in one store that differ in their learning rate and seed.
const runs = (async () => {
  const first = await trainTinyRun(['train.lr=0.02', 'seed=1'], store);
  const second = await trainTinyRun(['train.lr=0.005', 'seed=2'], store);
  return [first, second];
})();

function logged(artifactDir: string, key: string): number {
  return Number(readFileSync(join(artifactDir, '..', 'metrics', key), 'utf8').trim().split('\n').at(-1)?.split(' ')[1]);
}

test.serial('compare finds runs by id prefix and shows their metrics side by side and their config differences', async (t) => {
  const [first, second] = await runs;
  const folders = await resolveRuns([first.runId.slice(0, 10), second.artifactDir ?? ''], { env: { MLFLOW_TRACKING_URI: store } });
  t.deepEqual(folders.map((run) => run.runId), [first.runId, second.runId]);
  const comparison = compareRuns(folders);
  t.is(comparison.runs[0].metrics.test_accuracy, logged(first.artifactDir ?? '', 'test_accuracy'));
  t.is(comparison.runs[1].metrics.test_macro_f1, logged(second.artifactDir ?? '', 'test_macro_f1'));
  t.deepEqual(
    comparison.differences.map((difference) => [difference.key, ...difference.values]),
    [
      ['seed', '1', '2'],
      ['train.lr', '0.02', '0.005'],
    ],
  );
  const text = formatComparison(comparison);
  t.regex(text, new RegExp(`${first.runId.slice(0, 8)}\\)\\s+FINISHED\\s+${(100 * first.testAccuracy).toFixed(2)}%`));
  t.regex(text, /train\.lr\s+0\.02\s+0\.005/);
  const html = await renderComparisonHtml(comparison, folders);
  t.false(/<script|(src|href)="(https?:)?\/\//.test(html), 'self-contained');
  const images = [...html.matchAll(/<img src="data:image\/svg\+xml;base64,([^"]+)" alt="([^"]+)"/g)];
  t.deepEqual(
    images.map((image) => image[2]),
    ['Validation loss and accuracy per epoch, one line per run', 'Normalised attention entropy of each run’s last epoch'],
  );
  for (const [, svg] of images) {
    const text = Buffer.from(svg, 'base64').toString('utf8');
    t.true(text.includes(first.runId.slice(0, 8)) && text.includes(second.runId.slice(0, 8)), 'both runs in each chart');
  }
});

test.serial('a sweep parent stands for its trials', async (t) => {
  const [first, second] = await runs;
  const { FileStore } = await import('../../src/tracking/file-store.js');
  const files = new FileStore(store);
  const parent = await files.createRun({ experimentId: first.experimentId, runName: 'sweep', userId: 'test', startTime: Date.now(), tags: {} });
  for (const run of [first, second]) await files.setTags(first.experimentId, run.runId, { 'mlflow.parentRunId': parent.run_id });
  const folders = await resolveRuns([parent.run_id], { env: { MLFLOW_TRACKING_URI: store } });
  t.deepEqual(folders.map((run) => run.runId), [first.runId, second.runId]);
  // The page a sweep logs to its parent run, linked from its summary.
  const page = await sweepComparisonPage(parent.run_id, store);
  t.true(page?.includes('<h1>Comparison of 2 runs</h1>'));
  t.is(await sweepComparisonPage(parent.run_id, 'http://127.0.0.1:9'), undefined, 'not for runs on a server');
});

test.serial('attnlab compare prints the table, writes the page and answers --json', async (t) => {
  const [first, second] = await runs;
  const out = join(store, 'page.html');
  const result = await runCliInProcess(['compare', first.runId, second.runId, '--html', out, '--json'], { env: { MLFLOW_TRACKING_URI: store } });
  t.is(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout) as { runs: { runId: string }[]; html: string };
  t.deepEqual(parsed.runs.map((run) => run.runId), [first.runId, second.runId]);
  t.true(readFileSync(out, 'utf8').includes('id="config-differences"'));
  const missing = await runCliInProcess(['compare', 'feedbeef'], { env: { MLFLOW_TRACKING_URI: store } });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no run "feedbeef"/);
});
