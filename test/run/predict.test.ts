import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { silentProgress } from '../../src/progress.js';
import { predictRun } from '../../src/run/predict.js';
import { runExperiment } from '../../src/run/experiment.js';
import { runCliInProcess } from '../helpers/cli.js';

const folder = mkdtempSync(join(tmpdir(), 'attnlab-predict-'));
const CLASSES = ['calm', 'happy', 'sad'];
const FILLER = ['the', 'a', 'film', 'plot', 'was', 'and', 'of', 'it'];
/** 90 texts of filler words; each class's word ("smile", "tear", "quiet") decides its label. */
const rows = Array.from({ length: 90 }, (_, i) => {
  const label = CLASSES[i % 3];
  const words = Array.from({ length: 6 }, (_, k) => FILLER[(i * 7 + k * 3) % FILLER.length]);
  words.splice(i % 5, 0, { calm: 'quiet', happy: 'smile', sad: 'tear' }[label] ?? '');
  return { text: words.join(' '), label };
});
const data = join(folder, 'tiny.csv');
writeFileSync(data, `text,label\n${rows.map((row) => `"${row.text}",${row.label}`).join('\n')}\n`);
writeFileSync(
  join(folder, 'tiny.yaml'),
  `name: tiny
data: { type: csv, path: tiny.csv, test: tiny.csv, val_fraction: 0.2 }
embeddings: { type: random, dim: 16, trainable: true, vocabulary: training }
model: { type: classifier, pooler: { type: additive } }
train: { epochs: 4, lr: 0.02, batch_size: 16, max_length: 16, patience: 0 }
tracking: { uri: ${join(folder, 'runs')} }
`,
);
const run = await runExperiment(join(folder, 'tiny.yaml'), [], { progress: silentProgress, log: () => {} });
const artifacts = run.artifactDir ?? '';

function csvRows(text: string): string[][] {
  return text.trim().split('\n').map((line) => line.split(','));
}

test.serial('the run records its label order in config.yaml and the checkpoint', (t) => {
  const config = parse(readFileSync(join(artifacts, 'config.yaml'), 'utf8')) as { data: { labels: string[] } };
  t.deepEqual(config.data.labels, CLASSES);
  const manifest = JSON.parse(readFileSync(join(artifacts, 'checkpoint', 'manifest.json'), 'utf8')) as { labels: string[] };
  t.deepEqual(manifest.labels, CLASSES);
});

test.serial('predict on the training file gives the labels of the run\'s test output, with probabilities summing to 1', async (t) => {
  const output = join(folder, 'predicted.csv');
  const summary = await predictRun(artifacts, { input: data, output, text: 'text', top: 2, progress: silentProgress, batchRows: 7 });
  t.is(summary.rows, rows.length);
  const [header, ...predicted] = csvRows(readFileSync(output, 'utf8'));
  t.deepEqual(header, ['id', 'predicted', 'p_calm', 'p_happy', 'p_sad', 'top_words']);
  const fromRun = new Map(csvRows(readFileSync(join(artifacts, 'test-predictions.csv'), 'utf8')).slice(1).map(([id, , label]) => [id, label]));
  t.is(fromRun.size, rows.length);
  for (const row of predicted) {
    t.is(row[1], fromRun.get(row[0]) ?? "missing");
    t.true(Math.abs(Number(row[2]) + Number(row[3]) + Number(row[4]) - 1) < 1e-4);
    t.is(row[5].split(' ').length, 2);
  }
});

test.serial('predict writes JSONL with class probabilities and the most attended words', async (t) => {
  const output = join(folder, 'predicted.jsonl');
  await predictRun(artifacts, { input: data, output, text: 'text', top: 1, progress: silentProgress });
  const first = JSON.parse(readFileSync(output, 'utf8').split('\n')[0]) as { id: string; predicted: string; probabilities: Record<string, number>; top: { token: string }[] };
  t.deepEqual(Object.keys(first.probabilities), CLASSES);
  t.true(CLASSES.includes(first.predicted));
  t.true(rows[0].text.split(' ').includes(first.top[0].token));
});

test.serial('predict on bad input exits 2 naming the file and line', async (t) => {
  const bad = join(folder, 'bad.jsonl');
  writeFileSync(bad, '{"text":"fine"}\n{"text":""}\n');
  const result = await runCliInProcess(['predict', artifacts, '--input', bad]);
  t.is(result.code, 2);
  t.regex(result.stderr, /bad\.jsonl:2: column "text": the text is empty/);
});

test.serial('eval --data scores another labelled file, or a data block, against the run\'s classes', async (t) => {
  const byFile = await runCliInProcess(['eval', artifacts, '--data', data, '--json']);
  t.is(byFile.code, 0, byFile.stderr);
  const scored = JSON.parse(byFile.stdout) as { reviews: number; accuracy: number; perClass: { name: string }[] };
  t.is(scored.reviews, rows.length);
  const fromRun = csvRows(readFileSync(join(artifacts, 'test-predictions.csv'), 'utf8')).slice(1);
  t.is(scored.accuracy, fromRun.filter(([, label, predicted]) => label === predicted).length / fromRun.length);
  t.deepEqual(scored.perClass.map((score) => score.name), CLASSES);
  const byBlock = await runCliInProcess(['eval', artifacts, '--data', `{ type: csv, path: ${data}, test_fraction: 0.5 }`, '--json'], { cwd: folder });
  t.is(byBlock.code, 0, byBlock.stderr);
  t.is((JSON.parse(byBlock.stdout) as { reviews: number }).reviews, 45);
  const unknown = join(folder, 'unknown.csv');
  writeFileSync(unknown, 'text,label\nquiet film,calm\nsmile plot,angry\n');
  const refused = await runCliInProcess(['eval', artifacts, '--data', unknown]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /unknown\.csv:3: column "label": label "angry" is not one of the run's classes \(calm, happy, sad\)/);
});
