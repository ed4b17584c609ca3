import test from 'ava';
import { buildExperiment, syntheticConfig, trainExperiment } from '../helpers/experiment.js';

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
