import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/config/load.js';
import { silentProgress } from '../../src/progress.js';
import { runExperiment } from '../../src/run/experiment.js';
import { buildExperiment, syntheticConfig, trainExperiment, writeConfig } from '../helpers/experiment.js';

const MODEL = '  pooler: { type: fixed-query }';

for (const optimizer of ['adam', 'sgd']) {
  test.serial(`lr_decay multiplies the learning rate by its factor after each plateau (${optimizer})`, async (t) => {
    // A rate this small leaves the weights as they are: validation never improves after epoch 1.
    const experiment = await buildExperiment(syntheticConfig(MODEL), [
      'train.epochs=4',
      'train.lr=1e-12',
      `train.optimizer={ type: ${optimizer} }`,
      'train.lr_decay={ factor: 0.5, patience: 1, min_lr: 2e-13 }',
    ]);
    try {
      const result = await trainExperiment(experiment);
      t.deepEqual(result.epochs.map((epoch) => epoch.improved), [true, false, false, false]);
      t.deepEqual(result.epochs.map((epoch) => epoch.learningRate), [1e-12, 1e-12, 5e-13, 2.5e-13]);
      const optimizer = experiment.built.optimizer as unknown as { learningRate: number };
      t.is(optimizer.learningRate, 2e-13, 'the last decay stops at min_lr');
    } finally {
      experiment.built.dispose();
    }
  });
}

test.serial('without lr_decay the learning rate stays put', async (t) => {
  const experiment = await buildExperiment(syntheticConfig(MODEL), ['train.epochs=3', 'train.lr=1e-12']);
  try {
    const result = await trainExperiment(experiment);
    t.deepEqual(result.epochs.map((epoch) => epoch.learningRate), [1e-12, 1e-12, 1e-12]);
  } finally {
    experiment.built.dispose();
  }
});

test.serial('a run shows the learning rate in its epoch lines once lr_decay has lowered it', async (t) => {
  const lines: string[] = [];
  const overrides = parseOverrides([`tracking.uri=${mkdtempSync(join(tmpdir(), 'attnlab-runs-'))}`, 'train.epochs=3', 'train.lr=1e-12', 'train.lr_decay={ factor: 0.5, patience: 1 }']);
  await runExperiment(writeConfig(syntheticConfig(MODEL)), overrides, { progress: silentProgress, log: (line) => lines.push(line) });
  const epochLines = lines.filter((line) => line.startsWith('epoch '));
  t.is(epochLines.length, 3);
  t.false(epochLines[0].includes(' · lr '), epochLines[0]);
  t.false(epochLines[1].includes(' · lr '), epochLines[1]);
  t.true(epochLines[2].endsWith(' · lr 5.00e-13'), epochLines[2]);
});
