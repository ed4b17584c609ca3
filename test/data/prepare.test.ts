import test from 'ava';
import type { LabelledCorpus } from '../../src/plugin-api.js';
import { PAD_ID, UNK_ID, prepareData } from '../../src/data/prepare.js';
import { VectorTable } from '../../src/data/vector-table.js';

const table = new VectorTable(['good', 'bad', 'film', 'not', 'unseen'], Float32Array.from({ length: 10 }, (_, i) => i + 1), 2);
const corpus: LabelledCorpus = {
  labels: ['neg', 'pos'],
  train: [
    { id: 'a', text: 'Good film zzz', label: 1 },
    { id: 'b', text: "Bad film isn't good", label: 0 },
  ],
  validation: [{ id: 'c', text: 'unseen good', label: 1 }],
  test: [{ id: 'd', text: 'film film film film', label: 0 }],
};

test('the vocabulary is PAD, UNK, then training tokens that have a vector', (t) => {
  const prepared = prepareData(corpus, table, { maxLength: 10 });
  t.deepEqual(prepared.vocabulary, ['<pad>', '<unk>', 'good', 'film', 'bad', "n't"]);
  t.is(prepared.dim, 2);
  t.deepEqual([...prepared.embeddings], [0, 0, 0, 0, 1, 2, 5, 6, 3, 4, 7, 8]);
});

test('splits are encoded with offsets and labels; unknown and validation-only tokens are UNK', (t) => {
  const prepared = prepareData(corpus, table, { maxLength: 10 });
  t.deepEqual([...prepared.train.ids], [2, 3, UNK_ID, 4, 3, UNK_ID, 5, 2]);
  t.deepEqual([...prepared.train.offsets], [0, 3, 8]);
  t.deepEqual([...prepared.train.labels], [1, 0]);
  t.deepEqual([...prepared.validation.ids], [UNK_ID, 2]);
  t.false(prepared.vocabulary.includes('unseen'));
  t.not(PAD_ID, UNK_ID);
});

test('the OOV rate counts training tokens without a vector', (t) => {
  const prepared = prepareData(corpus, table, { maxLength: 10 });
  t.is(prepared.oovRate, 2 / 8);
});

test('a token without a vector falls back to its full form or its spelling without accents', (t) => {
  const withFallbacks = new VectorTable(['not', 'cliche', 'film'], new Float32Array(6), 2);
  const prepared = prepareData({ labels: ['neg', 'pos'], train: [{ id: 'a', text: "isn't clich\u00e9 film", label: 0 }], validation: [], test: [] }, withFallbacks, { maxLength: 10 });
  t.deepEqual(prepared.vocabulary, ['<pad>', '<unk>', "n't", 'clich\u00e9', 'film']);
  t.is(prepared.oovRate, 1 / 4);
});

test('maxLength cuts each example but not the OOV count', (t) => {
  const prepared = prepareData(corpus, table, { maxLength: 2 });
  t.deepEqual([...prepared.test.offsets], [0, 2]);
  t.deepEqual([...prepared.train.offsets], [0, 2, 4]);
  t.is(prepared.oovRate, 2 / 8);
});
