import test from 'ava';
import { DataError } from '../../src/errors.js';
import { checkExample, selectExamples, topAttended } from '../../src/report/examples.js';
import type { AttentionExample, ScoredReview } from '../../src/report/examples.js';

function review(id: string, weights: number[], predicted: string, probability: number, label?: string): AttentionExample {
  return { id, tokens: weights.map((_, i) => `t${i}`), weights, predicted, probability, label };
}

const reviews = [
  review('right-sure', [0.5, 0.5], 'pos', 0.99, 'pos'),
  review('right-unsure', [0.9, 0.05, 0.05], 'neg', 0.6, 'neg'),
  review('wrong-sure', [0.98, 0.01, 0.01], 'pos', 0.95, 'neg'),
  review('wrong-unsure', [0.4, 0.3, 0.3], 'neg', 0.55, 'pos'),
  review('one-token', [1], 'pos', 0.7, 'pos'),
  review('unlabelled', [0.25, 0.25, 0.25, 0.25], 'pos', 0.999),
];

const ids = (examples: readonly ScoredReview[]) => examples.map((example) => example.id);

test('selectExamples picks the most confident right and wrong predictions', (t) => {
  const [right, wrong] = selectExamples(reviews, 1);
  t.is(right.id, 'confident-right');
  t.deepEqual(ids(right.examples), ['right-sure']);
  t.deepEqual(ids(wrong.examples), ['wrong-sure']);
  t.deepEqual(ids(selectExamples(reviews, 5)[1].examples), ['wrong-sure', 'wrong-unsure']);
});

test('selectExamples ranks entropy as H / log n and skips one-token reviews', (t) => {
  const [, , highest, lowest] = selectExamples(reviews, 2);
  // Uniform attention scores 1 whatever the length, so the 2- and 4-token uniform reviews tie at the top.
  t.deepEqual(new Set(ids(highest.examples)), new Set(['right-sure', 'unlabelled']));
  t.deepEqual(ids(lowest.examples), ['wrong-sure', 'right-unsure']);
  const [, , allHighest, allLowest] = selectExamples(reviews, 10);
  t.is(allHighest.examples.length, 5);
  t.false([...ids(allHighest.examples), ...ids(allLowest.examples)].includes('one-token'));
  t.deepEqual(ids(selectExamples(reviews, 0)[3].examples), []);
});

test('selectExamples chooses from predictions and attention alone, the words left to the reviews shown', (t) => {
  const wordless = reviews.map(({ id, weights, predicted, probability, label }) => ({ id, weights, predicted, probability, label }));
  t.deepEqual(selectExamples(wordless, 2).map((section) => ids(section.examples)), selectExamples(reviews, 2).map((section) => ids(section.examples)));
});

test('topAttended orders by weight, earlier position first on ties', (t) => {
  const top = topAttended(['a', 'b', 'c', 'd'], [0.2, 0.4, 0.2, 0.2], 3);
  t.deepEqual(top.map((entry) => entry.position), [1, 0, 2]);
});

test('an example whose weights do not match its tokens is rejected with the culprit named', (t) => {
  const bad: AttentionExample = { id: 'r7', tokens: ['a', 'b'], weights: [1, 0, 0], predicted: 'pos', probability: 1 };
  const error = t.throws(() => checkExample(bad), { instanceOf: DataError });
  t.is(error?.code, 'report-example-shape');
  t.regex(error?.message ?? '', /review r7: weights has 3 values for 2 tokens/);
  const badHead = { ...bad, weights: [0.5, 0.5], heads: [[0.5, 0.5], [1]] };
  t.regex(t.throws(() => checkExample(badHead))?.message ?? '', /heads\[1\] has 1 values/);
});
