/**
 * The run's report shows test reviews as `prepareData` cut them: with a tokenizer whose second
 * cut of a text differs from its first, the pages hold only first cuts, unknown words as written.
 * Its faithfulness pass runs on as many reviews and permutations as `report` bounds, no more, and
 * its permutation check does not depend on how many reviews share a forward pass.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/config/load.js';
import { selectRows } from '../../src/data/prepare.js';
import { silentProgress } from '../../src/progress.js';
import { runExperiment } from '../../src/run/experiment.js';
import { explainReviews } from '../../src/run/explain.js';
import type { ModelProbe } from '../../src/run/model-probe.js';
import { RunReporter } from '../../src/run/run-report.js';
import type { Tracker } from '../../src/tracking/tracker.js';
import { evaluate } from '../../src/train/evaluate.js';
import { buildExperiment } from '../helpers/experiment.js';

const folder = mkdtempSync(join(tmpdir(), 'attnlab-report-tokens-'));
/** Splits on spaces; a text it has cut before comes out with every token marked `#again`. */
writeFileSync(
  join(folder, 'again.ts'),
  `const seen = new Set<string>();
export default {
  kind: 'tokenizer',
  name: 'again',
  description: 'Splits on spaces; marks every token of a text it cuts a second time.',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  create: (_params: unknown, { hashRange }: { hashRange: (source: string, start: number, end: number) => number }) => ({
    forEachToken(text: string, sink: (source: string, start: number, end: number, hash: number) => void) {
      const source = seen.has(text) ? text.replaceAll(/(\\S+)/g, '$1#again') : text;
      seen.add(text);
      for (const match of source.matchAll(/\\S+/g)) sink(source, match.index, match.index + match[0].length, hashRange(source, match.index, match.index + match[0].length));
    },
  }),
};
`,
);
const FILLER = ['the', 'film', 'was', 'seen', 'by', 'us', 'today'];
/** Unique reviews: a sentiment word, filler, and a number word (`n17`) that only this review has. */
const review = (i: number, length: number) => {
  const words = Array.from({ length }, (_, k) => FILLER[(i + 2 * k) % FILLER.length]);
  words.splice(i % 3, 0, i % 2 ? 'superb' : 'awful', `n${i}`);
  return { text: words.join(' '), label: i % 2 ? 'pos' : 'neg' };
};
const csv = (rows: readonly { text: string; label: string }[]) => `text,label\n${rows.map((row) => `${row.text},${row.label}`).join('\n')}\n`;
const MAX_LENGTH = 10;
const testRows = Array.from({ length: 40 }, (_, i) => review(1000 + i, 3 + (i % 12)));
writeFileSync(join(folder, 'train.csv'), csv(Array.from({ length: 80 }, (_, i) => review(i, 4 + (i % 5)))));
writeFileSync(join(folder, 'test.csv'), csv(testRows));
writeFileSync(
  join(folder, 'run.yaml'),
  `plugins: [./again.ts]
data: { type: csv, path: train.csv, test: test.csv, val_fraction: 0.2 }
tokenizer: { type: again }
embeddings: { type: random, dim: 8, trainable: true, vocabulary: training }
train: { epochs: 2, lr: 0.02, batch_size: 16, max_length: ${MAX_LENGTH}, patience: 0 }
tracking: { uri: ${join(folder, 'runs')} }
`,
);
const run = await runExperiment(join(folder, 'run.yaml'), [], { progress: silentProgress, log: () => {} });
const page = (name: string) => readFileSync(join(run.artifactDir ?? '', name), 'utf8');

/** Each shown review's words, from its shaded text. */
function shownReviews(html: string): string[][] {
  return [...html.matchAll(/<p class="text">(.*?)<\/p>/g)].map((match) => [...match[1].matchAll(/<span[^>]*>([^<]*)<\/span>/g)].map((span) => span[1]));
}

for (const name of ['attention.html', 'report.html']) {
  test(`${name} shows the test reviews as prepareData cut them, unknown words as written`, (t) => {
    const cuts = new Set(testRows.map((row) => row.text.split(' ').slice(0, MAX_LENGTH).join(' ')));
    const shown = shownReviews(page(name));
    t.true(shown.length >= 4, `${shown.length} reviews shown`);
    for (const words of shown) t.true(cuts.has(words.join(' ')), words.join(' '));
    // Each review's number word is in no other review, so outside the vocabulary: UNK to the model.
    t.true(shown.every((words) => words.some((word) => /^n1\d{3}$/.test(word))));
    t.notRegex(page(name), /#again|&#60;unk&#62;/);
  });
}

test('attended words and cut notes come from the prepared tokens', (t) => {
  const html = page('report.html');
  const top = [...html.matchAll(/<p class="top">Top words: (.*?)<\/p>/g)].flatMap((match) => [...match[1].matchAll(/<b>([^<]*)<\/b>/g)].map((word) => word[1]));
  t.true(top.length > 0);
  const vocabulary = new Set(testRows.flatMap((row) => row.text.split(' ')));
  for (const word of top) t.true(vocabulary.has(word), word);
  for (const [, cut, full] of html.matchAll(/cut after word (\d+) of (\d+)/g)) {
    t.is(Number(cut), MAX_LENGTH);
    t.true(testRows.some((row) => row.text.split(' ').length === Number(full)), `a review of ${full} words`);
  }
});

const faithfulnessNote = (html: string) => /Jain &amp; Wallace \(NAACL 2019\): (\d+) reviews \(the (\d+) shown and (\d+) drawn at random/.exec(html);

test('the faithfulness checks are measured on every test review when report.faithfulness_reviews allows, and the report says so', (t) => {
  const note = faithfulnessNote(page('report.html'));
  t.truthy(note);
  const [, reviews, shown, sampled] = (note ?? []).map(Number);
  t.is(reviews, testRows.length);
  t.is(shown + sampled, testRows.length);
});

test.serial('report.faithfulness_reviews bounds the reviews measured: the shown ones, then a sample up to the bound', async (t) => {
  const bounded = await runExperiment(join(folder, 'run.yaml'), parseOverrides(['report.faithfulness_reviews=15', 'train.epochs=1']), { progress: silentProgress, log: () => {} });
  const note = faithfulnessNote(readFileSync(join(bounded.artifactDir ?? '', 'attention.html'), 'utf8'));
  const [, reviews, shown, sampled] = (note ?? []).map(Number);
  t.is(reviews, 15);
  t.true(shown >= 4 && shown + sampled === 15, `${shown} shown, ${sampled} sampled`);
});

/** A tracker that keeps nothing. */
const nowhere: Tracker = {
  runId: 'bounds',
  experimentId: '0',
  logParams: async () => {},
  logMetrics: async () => {},
  setTags: async () => {},
  logArtifact: async () => {},
  logArtifactFile: async () => {},
  end: async () => {},
};

test.serial('the faithfulness pass runs a gradient row per measured review and report.permutations forward rows per review, no more', async (t) => {
  for (const [reviews, permutations, measured] of [[15, 3, 15], [1000, 2, testRows.length]]) {
    const { tf, config, data, built } = await buildExperiment(readFileSync(join(folder, 'run.yaml'), 'utf8'), [`report.faithfulness_reviews=${reviews}`, `report.permutations=${permutations}`], folder);
    try {
      const rows = { gradient: 0, permuted: 0 };
      const probe: ModelProbe = {
        ...built.probe,
        inputGradient: (ids, forward, objective) => ((rows.gradient += ids.shape[0]), built.probe.inputGradient(ids, forward, objective)),
        withAttention: (attention, forward) => ((rows.permuted += attention.shape[0]), built.probe.withAttention(attention, forward)),
      };
      const scoring = { batchSize: config.train.eval_batch_size, batchTokens: config.train.eval_batch_tokens, maxLength: config.train.max_length };
      const reporter = new RunReporter(config, data, nowhere);
      const validation = evaluate(tf, built.model, data.validation, scoring);
      await reporter.recordEpoch({ epoch: 1, trainLoss: 0, trainPenalties: [], trainAccuracy: 0, validation, seconds: 0, validationSeconds: 0, itemsPerSecond: 0, learningRate: 0, improved: true });
      const facts = { runId: 'bounds', startTime: 0, backend: 'wasm', bestEpoch: 1, epochsRun: 1, trainSeconds: 0 };
      await reporter.writeReport(evaluate(tf, built.model, data.test, scoring), tf, { model: built.model, probe }, facts);
      t.deepEqual(rows, { gradient: measured, permuted: measured * permutations }, `faithfulness_reviews ${reviews}, permutations ${permutations}`);
    } finally {
      built.dispose();
    }
  }
});

test.serial('the permutation check gives the same Δp however many reviews share a forward pass', async (t) => {
  const { tf, config, data, built } = await buildExperiment(readFileSync(join(folder, 'run.yaml'), 'utf8'), ['report.permutations=4'], folder);
  try {
    const rows = Array.from({ length: 20 }, (_, row) => row);
    const explain = (batchTokens: number) =>
      explainReviews(tf, built, rows.map((row) => data.corpus.test[row]), selectRows(data.test, rows), { vocabulary: data.vocabulary, labels: data.labels, permutations: 4, seed: config.seed, batchTokens });
    const deltas = async (batchTokens: number) => (await explain(batchTokens)).examples.map((example) => [...(example.faithfulness?.permutation.deltas ?? [])]);
    const alone = await deltas(1);
    t.true(alone.every((review) => review.length === 4));
    t.deepEqual(await deltas(Number.POSITIVE_INFINITY), alone);
  } finally {
    built.dispose();
  }
});
