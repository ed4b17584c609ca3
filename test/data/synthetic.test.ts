import test from 'ava';
import { createSyntheticCorpus, NEGATIVE_WORDS, POSITIVE_WORDS, SYNTHETIC_VOCABULARY } from '../../src/data/synthetic.js';
import { tokenize } from '../../src/data/tokenize.js';
import { DataError } from '../../src/errors.js';

const options = { size: 200, testSize: 50, minLength: 5, maxLength: 12, planted: 2, valFraction: 0.1, seed: 3 };

test('balanced splits of the requested sizes', (t) => {
  const corpus = createSyntheticCorpus(options);
  t.is(corpus.train.length, 180);
  t.is(corpus.validation.length, 20);
  t.is(corpus.test.length, 50);
  t.is(corpus.validation.filter((example) => example.label === 1).length, 10);
});

test('the planted words decide the label; every token is in the shipped vocabulary', (t) => {
  const vocabulary = new Set(SYNTHETIC_VOCABULARY);
  const positive = new Set<string>(POSITIVE_WORDS);
  const negative = new Set<string>(NEGATIVE_WORDS);
  const corpus = createSyntheticCorpus(options);
  for (const example of [...corpus.train, ...corpus.test]) {
    const tokens = tokenize(example.text);
    t.true(tokens.every((token) => vocabulary.has(token)));
    t.true(tokens.length >= options.minLength && tokens.length <= options.maxLength + 1);
    const family = example.label === 1 ? positive : negative;
    const other = example.label === 1 ? negative : positive;
    t.true(tokens.some((token) => family.has(token)));
    t.false(tokens.some((token) => other.has(token)));
  }
});

test('deterministic for a seed, different for another', (t) => {
  t.deepEqual(createSyntheticCorpus(options), createSyntheticCorpus(options));
  t.notDeepEqual(createSyntheticCorpus(options).train, createSyntheticCorpus({ ...options, seed: 4 }).train);
});

test('max_length below min_length is refused', (t) => {
  t.throws(() => createSyntheticCorpus({ ...options, minLength: 9, maxLength: 3 }), { instanceOf: DataError, message: /max_length \(3\) is below data\.min_length \(9\)/ });
});
