import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFileDataset } from '../../src/data/files.js';
import { InputError } from '../../src/data/records.js';
import type { Example, FileDatasetSpec } from '../../src/plugin-api.js';
import { silentProgress } from '../../src/progress.js';

const folder = mkdtempSync(join(tmpdir(), 'attnlab-files-'));
const context = { cacheDir: folder, progress: silentProgress, seed: 5, configDir: folder };

function csv(name: string, rows: readonly (readonly [string, string])[]): string {
  writeFileSync(join(folder, name), `text,label\n${rows.map(([text, label]) => `${text},${label}`).join('\n')}\n`);
  return name;
}

function spec(train: string, overrides: Partial<FileDatasetSpec> = {}): FileDatasetSpec {
  return { format: 'csv', train, text: 'text', label: 'label', valFraction: 0.1, testFraction: 0.2, trainLimit: 0, testLimit: 0, ...overrides };
}

/** 60 `a`, 30 `b`, 10 `c` rows. */
const skewed = Array.from({ length: 100 }, (_, i): [string, string] => [`text ${i}`, i < 60 ? 'a' : i < 90 ? 'b' : 'c']);
const counts = (examples: readonly Example[], labels: readonly string[]) => labels.map((_, label) => examples.filter((example) => example.label === label).length);

test('test and validation are carved from train stratified (each class keeps its share) and seeded', async (t) => {
  const corpus = await loadFileDataset(spec(csv('skewed.csv', skewed)), context);
  t.deepEqual(corpus.labels, ['a', 'b', 'c']);
  t.deepEqual(counts(corpus.test, corpus.labels), [12, 6, 2]);
  t.deepEqual(counts(corpus.validation, corpus.labels), [5, 2, 1]);
  t.deepEqual(counts(corpus.train, corpus.labels), [43, 22, 7]);
  const again = await loadFileDataset(spec('skewed.csv'), context);
  t.deepEqual(again.test.map((example) => example.id), corpus.test.map((example) => example.id));
  const otherSeed = await loadFileDataset(spec('skewed.csv'), { ...context, seed: 6 });
  t.notDeepEqual(otherSeed.test.map((example) => example.id), corpus.test.map((example) => example.id));
  const limited = await loadFileDataset(spec('skewed.csv', { trainLimit: 40, testLimit: 10 }), context);
  t.deepEqual([limited.train.length + limited.validation.length, limited.test.length], [40, 10]);
  t.deepEqual(counts(limited.test, limited.labels), [6, 3, 1]);
});

test('label order is the sorted labels whatever the row order (numeric when all are integers), or the configured one', async (t) => {
  const rows = Array.from({ length: 40 }, (_, i): [string, string] => [`t${i}`, ['10', '9', '2'][i % 3]]);
  const reversed = [...rows].reverse();
  t.deepEqual((await loadFileDataset(spec(csv('n1.csv', rows)), context)).labels, ['2', '9', '10']);
  t.deepEqual((await loadFileDataset(spec(csv('n2.csv', reversed)), context)).labels, ['2', '9', '10']);
  const words = rows.map(([text, label]): [string, string] => [text, { '10': 'pos', '9': 'Neg', '2': 'mid' }[label] ?? '']);
  t.deepEqual((await loadFileDataset(spec(csv('w.csv', words)), context)).labels, ['Neg', 'mid', 'pos']);
  const configured = await loadFileDataset(spec('w.csv', { labels: ['pos', 'mid', 'Neg'] }), context);
  t.deepEqual(configured.labels, ['pos', 'mid', 'Neg']);
  t.true(configured.train.every((example) => words.find(([text]) => text === example.text)?.[1] === configured.labels[example.label]));
});

test('a test label that training never saw is an error naming the file and line', async (t) => {
  csv('train.csv', skewed);
  csv('test.csv', [['fine', 'a'], ['odd', 'z']]);
  const error = await t.throwsAsync(loadFileDataset(spec('train.csv', { test: 'test.csv' }), context), { instanceOf: InputError });
  t.is(error?.code, 'data-unseen-label');
  t.regex(error?.message ?? '', /test\.csv:3: column "label": label "z" never occurs in the training file train\.csv/);
});

test('a configured class without a training example, and a single class, are errors', async (t) => {
  const missing = await t.throwsAsync(loadFileDataset(spec(csv('two.csv', skewed.slice(0, 90)), { labels: ['a', 'b', 'c'] }), context), { instanceOf: InputError });
  t.is(missing?.code, 'data-empty-class');
  t.regex(missing?.message ?? '', /class "c" \(in labels\) has no training example/);
  const one = await t.throwsAsync(loadFileDataset(spec(csv('one.csv', skewed.slice(0, 20))), context), { instanceOf: InputError });
  t.is(one?.code, 'data-one-class');
});

test('folders with train/ and test/ subfolders read each as its split', async (t) => {
  const root = join(folder, 'corpus');
  for (const split of ['train', 'test']) {
    for (const label of ['x', 'y']) {
      mkdirSync(join(root, split, label), { recursive: true });
      for (let i = 0; i < (split === 'train' ? 10 : 3); i++) writeFileSync(join(root, split, label, `${i}.txt`), `${label} ${i}`);
    }
  }
  const corpus = await loadFileDataset(spec('corpus', { format: 'folders', valFraction: 0.2 }), context);
  t.deepEqual(corpus.labels, ['x', 'y']);
  t.deepEqual([corpus.train.length, corpus.validation.length, corpus.test.length], [16, 4, 6]);
  t.true(corpus.test.every((example) => example.id.includes(join('corpus', 'test'))));
});
