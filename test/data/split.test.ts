import test from 'ava';
import type { Example } from '../../src/plugin-api.js';
import { splitCorpus, stratifiedPick } from '../../src/data/split.js';

/** 300 examples of label 0, 100 of label 1. */
const examples: Example[] = Array.from({ length: 400 }, (_, index) => ({ id: `e${index}`, text: `text ${index}`, label: index % 4 === 0 ? 1 : 0 }));
const countLabel = (items: readonly Example[], label: number) => items.filter((example) => example.label === label).length;

test('stratifiedPick keeps each label\'s share', (t) => {
  const { picked, rest } = stratifiedPick(examples, 40, 3);
  t.is(picked.length, 40);
  t.is(countLabel(picked, 1), 10);
  t.is(rest.length, 360);
  t.deepEqual(new Set([...picked, ...rest].map((example) => example.id)).size, 400);
});

test('the same seed gives the same pick, another seed another one', (t) => {
  const ids = (seed: number) => stratifiedPick(examples, 40, seed).picked.map((example) => example.id);
  t.deepEqual(ids(3), ids(3));
  t.notDeepEqual(ids(3), ids(4));
});

test('splitCorpus carves a stratified validation split from the limited train pool', (t) => {
  const corpus = splitCorpus({ labels: ['a', 'b'], train: examples, test: examples }, { valFraction: 0.25, trainLimit: 200, testLimit: 80, seed: 1 });
  t.is(corpus.train.length + corpus.validation.length, 200);
  t.is(corpus.validation.length, 50);
  t.true(Math.abs(countLabel(corpus.validation, 1) - 12.5) <= 0.5);
  t.is(countLabel(corpus.test, 1), 20);
  const trainIds = new Set(corpus.train.map((example) => example.id));
  t.false(corpus.validation.some((example) => trainIds.has(example.id)));
});

test('the validation split does not depend on the test limit', (t) => {
  const split = (testLimit: number) => splitCorpus({ labels: ['a', 'b'], train: examples, test: examples }, { valFraction: 0.1, testLimit, seed: 9 });
  t.deepEqual(split(0).validation, split(40).validation);
});

test('no limits and no validation keep everything', (t) => {
  const corpus = splitCorpus({ labels: ['a', 'b'], train: examples, test: examples }, { valFraction: 0, seed: 1 });
  t.is(corpus.train.length, 400);
  t.is(corpus.validation.length, 0);
  t.is(corpus.test.length, 400);
});
