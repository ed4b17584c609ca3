import test from 'ava';
import { expandTrials } from '../../src/sweep/expand.js';

const settings = (sweep: Parameters<typeof expandTrials>[0]) => expandTrials(sweep).map((trial) => trial.overrides.map((override) => override.text).join(' '));

test('a grid is the cartesian product of its axes, in file order', (t) => {
  t.deepEqual(settings({ grid: { a: [1, 2], b: ['x', 'y'] }, zip: [] }), ['a=1 b="x"', 'a=1 b="y"', 'a=2 b="x"', 'a=2 b="y"']);
});

test('a zip group varies its keys together, and seeds repeat every trial', (t) => {
  t.deepEqual(settings({ grid: { a: [1, 2] }, zip: [{ lr: [0.1, 0.01], epochs: [5, 10] }], seeds: [0, 7] }), [
    'a=1 lr=0.1 epochs=5 seed=0',
    'a=1 lr=0.1 epochs=5 seed=7',
    'a=1 lr=0.01 epochs=10 seed=0',
    'a=1 lr=0.01 epochs=10 seed=7',
    'a=2 lr=0.1 epochs=5 seed=0',
    'a=2 lr=0.1 epochs=5 seed=7',
    'a=2 lr=0.01 epochs=10 seed=0',
    'a=2 lr=0.01 epochs=10 seed=7',
  ]);
});

test('no axes: one trial, the base itself', (t) => {
  t.deepEqual(settings({ grid: {}, zip: [] }), ['']);
  t.deepEqual(expandTrials({ grid: {}, zip: [] }).map((trial) => trial.index), [0]);
});
