/**
 * Every built-in plugin through the same checks, one table per kind (see PluginTester). The hand
 * computations below are written from each plugin's definition, on plain float64 arrays.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabelledCorpus, PluginKind } from '../../src/plugin-api.js';
import { PluginRegistry } from '../../src/plugins/registry.js';
import { PluginTester, type Numbers2, type Numbers3, type PluginCase } from '../../src/scaffold/plugin-tester.js';

const file = (kind: PluginKind, name: string): string => fileURLToPath(new URL(`../../plugins/${kind}/${name}.ts`, import.meta.url));

/** Softmax of `scores` over the positions where `mask` is 1; 0 elsewhere. */
function maskedSoftmax(scores: readonly number[], mask: readonly number[]): number[] {
  const max = Math.max(...scores.filter((_, i) => mask[i] > 0));
  const exps = scores.map((score, i) => (mask[i] > 0 ? Math.exp(score - max) : 0));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}
/** x [rows][in] · matrix (row-major [in, out]) + bias → [rows][out]. */
function dense(x: Numbers2, matrix: ArrayLike<number>, out: number, bias?: ArrayLike<number>): number[][] {
  return x.map((row) => Array.from({ length: out }, (_, j) => row.reduce((sum, value, d) => sum + value * matrix[d * out + j], bias ? bias[j] : 0)));
}
const dot = (a: readonly number[], b: ArrayLike<number>): number => a.reduce((sum, value, i) => sum + value * b[i], 0);
const map3 = (x: Numbers3, f: (row: Numbers2) => number[][]): number[][][] => x.map(f);

const H: Numbers3 = [
  [[1, -1, 0.5], [0.5, 2, -0.25], [-3, 0.25, 1]],
  [[0.2, 0.1, -0.4], [7, 7, 7], [1, 2, 3]],
];
const MASK: Numbers2 = [[1, 1, 1], [1, 0, 0]];

const tester = new PluginTester(test);

tester.run('pooler', [
  {
    file: file('pooler', 'fixed-query'),
    build: { yaml: '{ type: fixed-query, temperature: 2 }', context: { inputDim: 3 } },
    forward: {
      h: H,
      mask: MASK,
      expected: ([query]) => H.map((row, b) => maskedSoftmax(row.map((token) => dot(token, query) / 2), MASK[b])),
    },
  },
  {
    file: file('pooler', 'mean'),
    build: { yaml: '{ type: mean }', context: { inputDim: 3 } },
    forward: { h: H, mask: MASK, expected: () => MASK.map((row) => row.map((real) => real / row.reduce((a, b) => a + b, 0))) },
  },
  {
    file: file('pooler', 'additive'),
    build: { yaml: '{ type: additive, units: 2 }', context: { inputDim: 3 } },
    forward: {
      h: H,
      mask: MASK,
      expected: ([keyKernel, queryKernel, query, scorer]) => {
        const queryTerm = dense([Array.from(query)], queryKernel, 2)[0];
        return H.map((row, b) => maskedSoftmax(dense(row, keyKernel, 2).map((keys) => keys.reduce((sum, key, j) => sum + scorer[j] * Math.tanh(key + queryTerm[j]), 0)), MASK[b]));
      },
    },
  },
  {
    file: file('pooler', 'multi-head'),
    build: { yaml: '{ type: multi-head, heads: 2 }', context: { inputDim: 3 } },
    forward: {
      h: H,
      mask: MASK,
      expected: ([queries]) => H.map((row, b) => [0, 1].map((head) => maskedSoftmax(row.map((token) => token.reduce((sum, value, d) => sum + value * queries[d * 2 + head], 0) / Math.sqrt(3)), MASK[b]))),
    },
  },
  {
    file: file('pooler', 'text-query'),
    build: { yaml: '{ type: text-query, hidden_units: 2 }', context: { inputDim: 3 } },
    forward: {
      yaml: '{ type: text-query }',
      h: H,
      mask: MASK,
      expected: ([kernel, bias]) =>
        H.map((row, b) => {
          const real = row.filter((_, i) => MASK[b][i] > 0);
          const mean = [0, 1, 2].map((d) => real.reduce((sum, token) => sum + token[d], 0) / real.length);
          const query = dense([mean], kernel, 3, bias)[0];
          return maskedSoftmax(row.map((token) => dot(token, query)), MASK[b]);
        }),
    },
  },
]);

const LSTM_CASE = (cell: 'lstm' | 'gru'): PluginCase<'encoder'> => ({
  file: file('encoder', cell),
  // Input width 5: not a multiple of the kernels' row block, so their padding is exercised.
  build: { yaml: `{ type: ${cell}, state_size: 2, bidirectional: true }`, context: { inputDim: 5 } },
});

tester.run('encoder', [
  { file: file('encoder', 'none'), build: { yaml: '{ type: none }', context: { inputDim: 3 } }, forward: { x: H, mask: MASK, expected: () => H.map((row) => row.map((token) => [...token])) } },
  LSTM_CASE('lstm'),
  LSTM_CASE('gru'),
]);

tester.run('value', [
  { file: file('value', 'identity'), build: { yaml: '{ type: identity }', context: { inputDim: 3 } }, forward: { h: H, expected: () => map3(H, (row) => row.map((token) => [...token])) } },
  {
    file: file('value', 'linear'),
    build: { yaml: '{ type: linear, dim: 2, activation: tanh }', context: { inputDim: 3 } },
    forward: { h: H, expected: ([kernel, bias]) => map3(H, (row) => dense(row, kernel, 2, bias).map((units) => units.map(Math.tanh))) },
  },
  {
    file: file('value', 'mlp'),
    build: { yaml: '{ type: mlp, hidden_layers: [2], dim: 2 }', context: { inputDim: 3 } },
    forward: { h: H, expected: ([k0, b0, k1, b1]) => map3(H, (row) => dense(dense(row, k0, 2, b0).map((units) => units.map(Math.tanh)), k1, 2, b1)) },
  },
]);

tester.run('head', [
  {
    file: file('head', 'linear'),
    build: { yaml: '{ type: linear, hidden_units: 2, activation: tanh }', context: { inputDim: 3, numClasses: 2 } },
    forward: { t: H[0], expected: ([k0, b0, k1, b1]) => dense(dense(H[0], k0, 2, b0).map((units) => units.map(Math.tanh)), k1, 2, b1) },
  },
]);

/** Embedding rows: 0 = PAD, 1 = UNK, then six words of dim 3. */
const EMBEDDINGS = Array.from({ length: 8 }, (_, row) => (row === 0 ? [0, 0, 0] : [Math.sin(row), Math.cos(row * 2), row / 8]));

tester.run('model', [
  {
    file: file('model', 'classifier'),
    build: { yaml: '{ type: classifier, pooler: { type: fixed-query }, value: { type: linear } }', context: (tf) => ({ embeddings: tf.tensor2d(EMBEDDINGS), numClasses: 2 }) },
    forward: {
      yaml: '{ type: classifier, pooler: { type: fixed-query } }',
      ids: [[2, 3, 4], [5, 0, 0]],
      mask: MASK,
      expected: ([query, kernel, bias]) =>
        [[2, 3, 4], [5, 0, 0]].map((ids, b) => {
          const x = ids.map((id) => EMBEDDINGS[id]);
          const weights = maskedSoftmax(x.map((token) => dot(token, query)), MASK[b]);
          const pooled = [0, 1, 2].map((d) => x.reduce((sum, token, i) => sum + weights[i] * token[d], 0));
          return dense([pooled], kernel, 2, bias)[0];
        }),
    },
  },
]);

/** H(p) = −Σ p log p per row, averaged over the rows. */
const meanEntropy = (rows: Numbers2): number => rows.reduce((sum, row) => sum - row.reduce((h, p) => h + (p > 0 ? p * Math.log(p) : 0), 0), 0) / rows.length;
const ATTENTION: Numbers2 = [[0.7, 0.2, 0.1, 0], [0.5, 0.5, 0, 0]];

tester.run('regularizer', [
  {
    file: file('regularizer', 'entropy'),
    build: { yaml: '{ type: entropy, weight: 0.5 }', context: {} },
    // A positive weight adds the entropy: focused attention costs less than spread attention.
    forward: { attention: ATTENTION, expected: () => 0.5 * meanEntropy(ATTENTION) },
  },
  {
    file: file('regularizer', 'l2'),
    build: { yaml: '{ type: l2, weight: 0.5, include: "^head/" }', context: {} },
    forward: { attention: ATTENTION, variables: { 'head/w': [1, -2, 3], 'pooler/q': [10, 10] }, expected: () => 0.5 * (1 + 4 + 9) },
  },
]);

tester.run('optimizer', [
  {
    file: file('optimizer', 'sgd'),
    build: { yaml: '{ type: sgd, momentum: 0.5 }', context: { learningRate: 0.1 } },
    // Momentum accumulates: v1 = g, v2 = 0.5·v1 + g; w −= lr·v.
    forward: { start: [1, -1], gradient: [0.5, 2], steps: 2, expected: () => [1 - 0.1 * (0.5 + 0.75), -1 - 0.1 * (2 + 3)] },
  },
  {
    file: file('optimizer', 'adam'),
    build: { yaml: '{ type: adam }', context: { learningRate: 0.1 } },
    // Adam's first bias-corrected step is lr·sign(g) (up to epsilon).
    forward: { start: [1, -1], gradient: [0.5, -2], expected: () => [0.9, -0.9], tolerance: 1e-4 },
  },
]);

const VECTORS_DIR = mkdtempSync(join(tmpdir(), 'attnlab-vectors-'));
writeFileSync(join(VECTORS_DIR, 'vectors.txt'), 'good 1 0.25\nbad -1 0.5\n');
/** Eight labelled texts, four per class, as CSV, JSON Lines and class folders. */
const OWN_DATA_DIR = mkdtempSync(join(tmpdir(), 'attnlab-own-data-'));
const OWN_TEXTS = Array.from({ length: 8 }, (_, i) => ({ text: `review number ${i} is ${i % 2 ? 'good' : 'bad'}`, label: i % 2 ? 'pos' : 'neg' }));
writeFileSync(join(OWN_DATA_DIR, 'reviews.csv'), ['text,label', ...OWN_TEXTS.map(({ text, label }) => `"${text}",${label}`)].join('\n'));
writeFileSync(join(OWN_DATA_DIR, 'reviews.jsonl'), OWN_TEXTS.map((row) => JSON.stringify(row)).join('\n'));
for (const [i, { text, label }] of OWN_TEXTS.entries()) {
  mkdirSync(join(OWN_DATA_DIR, 'classes', label), { recursive: true });
  writeFileSync(join(OWN_DATA_DIR, 'classes', label, `${i}.txt`), text);
}
const datasetContext = { cacheDir: '/nonexistent', progress: { start: () => ({ tick() {}, status() {}, done() {} }) }, seed: 0, configDir: '.' };

tester.run('dataset', [
  {
    file: file('dataset', 'synthetic'),
    build: { yaml: '{ type: synthetic, size: 40, test_size: 10, val_fraction: 0.25 }', context: datasetContext },
    forward: {
      async check(t, dataset) {
        const corpus = await dataset.load();
        t.deepEqual([corpus.train.length, corpus.validation.length, corpus.test.length], [30, 10, 10]);
        t.deepEqual(corpus.labels.length, 2);
      },
    },
  },
  { file: file('dataset', 'imdb'), build: { yaml: '{ type: imdb, url: "" }', context: datasetContext } },
  ...(['csv', 'jsonl'] as const).map((format) => ({
    file: file('dataset', format),
    given: { path: `reviews.${format}` },
    build: { yaml: `{ type: ${format}, path: reviews.${format}, val_fraction: 0.25, test_fraction: 0.25 }`, context: { ...datasetContext, configDir: OWN_DATA_DIR } },
    forward: {
      async check(t: ExecutionContext, dataset: { load(): Promise<LabelledCorpus> }) {
        const corpus = await dataset.load();
        t.deepEqual([corpus.train.length, corpus.validation.length, corpus.test.length], [4, 2, 2]);
        t.deepEqual(corpus.labels, ['neg', 'pos']);
      },
    },
  })),
  { file: file('dataset', 'parquet'), given: { path: 'train.parquet' }, build: { yaml: '{ type: parquet, path: train.parquet }', context: datasetContext } },
  {
    file: file('dataset', 'folders'),
    given: { path: '.' },
    build: { yaml: '{ type: folders, path: ., val_fraction: 0.25, test_fraction: 0.25 }', context: { ...datasetContext, configDir: join(OWN_DATA_DIR, 'classes') } },
    forward: {
      async check(t: ExecutionContext, dataset: { load(): Promise<LabelledCorpus> }) {
        const corpus = await dataset.load();
        t.is(corpus.train.length + corpus.validation.length + corpus.test.length, 8);
        t.deepEqual(corpus.labels, ['neg', 'pos']);
      },
    },
  },
]);

tester.run('embeddings', [
  {
    file: file('embeddings', 'random'),
    build: { yaml: '{ type: random, dim: 4, words: [alpha] }', context: datasetContext },
    forward: {
      async check(t, embeddings) {
        const table = await embeddings.load();
        t.is(table.dim, 4);
        t.is(table.vectors.length, table.size * 4);
        t.true(table.indexOf('alpha') >= 0);
        t.is(table.indexOf('not-a-word-anywhere'), -1);
      },
    },
  },
  // No archive in a test (and no download): the factory says where it looked.
  ...(['50', '200', '300'] as const).map((dim) => ({
    file: file('embeddings', `glove-6b-${dim}d`),
    build: { yaml: `{ type: glove-6b-${dim}d, url: "" }`, context: datasetContext, rejects: /glove\.6B\.zip is not available/ },
  })),
  { file: file('embeddings', 'glove-6b-100d'), build: { yaml: '{ type: glove-6b-100d }', context: datasetContext } },
  {
    file: file('embeddings', 'text-file'),
    given: { path: 'vectors.txt' },
    build: { yaml: '{ type: text-file, path: vectors.txt }', context: { ...datasetContext, configDir: VECTORS_DIR } },
    forward: {
      async check(t, embeddings) {
        const table = await embeddings.load();
        t.is(table.dim, 2);
        t.deepEqual(Array.from(table.vectors.subarray(table.indexOf('bad') * 2, table.indexOf('bad') * 2 + 2)), [-1, 0.5]);
      },
    },
  },
]);

tester.run('tokenizer', [
  {
    file: file('tokenizer', 'glove'),
    build: { yaml: '{ type: glove }', context: {} },
    forward: { text: "Don't stop<br />: 3.5 stars...", expected: ['do', "n't", 'stop', ':', '3.5', 'stars', '...'] },
  },
  {
    file: file('tokenizer', 'unicode'),
    build: { yaml: '{ type: unicode, locale: fr }', context: {} },
    forward: { text: 'L’Homme qu’il a vu, 3,5 fois !', expected: ["l'", 'homme', "qu'", 'il', 'a', 'vu', '3,5', 'fois'] },
  },
  {
    file: file('tokenizer', 'whitespace'),
    build: { yaml: '{ type: whitespace, lowercase: true }', context: {} },
    forward: { text: ' Ein\tBeispiel,\u3000ok\n', expected: ['ein', 'beispiel,', 'ok'] },
  },
]);

test('the tables above hold every built-in plugin, each once', async (t) => {
  const registry = await PluginRegistry.create();
  const builtins = registry.list().map((entry) => `${entry.kind} ${entry.file}`);
  t.deepEqual(tester.files.map(({ kind, file }) => `${kind} ${file}`).sort(), builtins.sort());
});
