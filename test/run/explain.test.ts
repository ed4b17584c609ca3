import test from 'ava';
import { join } from 'node:path';
import { NEGATIVE_WORDS, POSITIVE_WORDS } from '../../src/data/synthetic.js';
import { silentProgress } from '../../src/progress.js';
import { runExperiment } from '../../src/run/experiment.js';
import { explainRun } from '../../src/run/explain.js';
import { topAttended } from '../../src/report/examples.js';
import { parseOverrides } from '../../src/config/load.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { syntheticConfig, writeConfig } from '../helpers/experiment.js';

const PLANTED = new Set<string>([...POSITIVE_WORDS, ...NEGATIVE_WORDS]);

const trained = (async () => {
  const file = writeConfig(syntheticConfig('  pooler: { type: fixed-query }'));
  const runs = join(file, '..', 'runs');
  const result = await runExperiment(file, parseOverrides([`tracking.uri=${runs}`, 'train.epochs=20']), { progress: silentProgress, log: () => {} });
  return result.artifactDir as string;
})();

test.serial('explain names the planted words first', async (t) => {
  const explanation = await explainRun(await trained, { examples: 8, permutations: 20 });
  t.is(explanation.examples.length, 8);
  // One learned query may favour one sentiment family: a review of the other may put a filler word first.
  const tops = explanation.examples.map((example) => topAttended(example.tokens, example.weights, 1)[0].token);
  t.true(tops.filter((token) => PLANTED.has(token)).length >= 6, `top words: ${tops.join(', ')}`);
  for (const example of explanation.examples) t.true(Number.isFinite(example.faithfulness?.kendallTau ?? Number.NaN));
  t.is(explanation.faithfulness.reviews, 8);
});

test.serial('explain --text prints the prediction, the top words and the shaded review', async (t) => {
  const result = await runCli(['explain', await trained, '--text', 'the movie was superb and the cast delightful .', '--permutations', '10']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /predicted pos \(p = [01]\.\d+\)/);
  t.regex(result.stdout, /top words: (superb|delightful) /);
  t.regex(result.stdout, /superb\[0\.\d+\]/);
  t.regex(result.stdout, /Kendall τ/);
});

test.serial('explain wraps the review at 100 columns when the terminal reports 0 columns', async (t) => {
  const text = Array.from({ length: 12 }, () => 'the movie was superb and the cast delightful , a film to see again .').join(' ');
  const columns = Object.getOwnPropertyDescriptor(process.stdout, 'columns');
  Object.defineProperty(process.stdout, 'columns', { value: 0, configurable: true, writable: true });
  try {
    const result = await runCliInProcess(['explain', await trained, '--text', text, '--permutations', '2']);
    t.is(result.code, 0, result.stderr);
    const review = result.stdout.split('\n').filter((line) => line.includes('superb['));
    t.true(review.length > 1, result.stdout);
    t.true(review.every((line) => line.length <= 100), result.stdout);
    t.true(review.some((line) => line.length > 80), result.stdout);
  } finally {
    if (columns) Object.defineProperty(process.stdout, 'columns', columns);
    else delete (process.stdout as { columns?: number }).columns;
  }
});

test.serial('eval scores the checkpoint again and finds the logged test accuracy', async (t) => {
  const artifactDir = await trained;
  const result = await runCli(['eval', artifactDir, '--json']);
  t.is(result.code, 0, result.stderr);
  const { accuracy, reviews } = JSON.parse(result.stdout) as { accuracy: number; reviews: number };
  const { readFileSync } = await import('node:fs');
  const logged = readFileSync(join(artifactDir, '..', 'metrics', 'test_accuracy'), 'utf8').trim().split(' ');
  t.is(reviews, 200);
  t.true(Math.abs(accuracy - Number(logged[1])) < 1e-6, `eval ${accuracy} vs logged ${logged[1]}`);
});

test('eval of an unknown run says where it looked', async (t) => {
  const result = await runCli(['eval', 'feedbeef'], { env: { MLFLOW_TRACKING_URI: join(await trained, '..', '..', '..') } });
  t.is(result.code, 1);
  t.regex(result.stderr, /no run "feedbeef" with a checkpoint in /);
});
