/**
 * What training means, checked on tiny synthetic runs in process: early stopping after exactly
 * `patience` epochs without improvement, the best epoch's weights restored at the end, the
 * gradient norm clipped, and no tensor left behind by a training step.
 */
import test from 'ava';
import { evaluate } from '../../src/train/evaluate.js';
import { buildExperiment, trainExperiment, type Experiment } from '../helpers/experiment.js';

const tiny = (model: string, trainBlock: string): string => `data: { type: synthetic, size: 240, test_size: 20 }
embeddings: { type: random, dim: 16 }
model:
${model}
train: { batch_size: 32, max_length: 32, ${trainBlock} }
`;
const POOLER = '  pooler: { type: fixed-query }';

const run = trainExperiment;

async function withExperiment<T>(yaml: string, body: (experiment: Experiment) => Promise<T>): Promise<T> {
  const experiment = await buildExperiment(yaml);
  try {
    return await body(experiment);
  } finally {
    experiment.built.dispose();
  }
}

test.serial('early stopping ends training exactly `patience` epochs after the best one', async (t) => {
  // A rate this small leaves the weights as they are: epoch 1 stays the best.
  for (const patience of [1, 2]) {
    const result = await withExperiment(tiny(POOLER, `epochs: 8, lr: 1e-12, patience: ${patience}`), run);
    t.is(result.bestEpoch, 1);
    t.deepEqual(result.epochs.map((epoch) => epoch.improved), [true, ...Array<boolean>(patience).fill(false)], `patience ${patience}`);
    t.true(result.stoppedEarly);
  }
});

test.serial('patience 0 trains every epoch', async (t) => {
  const result = await withExperiment(tiny(POOLER, 'epochs: 3, lr: 1e-12, patience: 0'), run);
  t.is(result.epochs.length, 3);
  t.false(result.stoppedEarly);
});

test.serial('the weights at the end are the best epoch\'s, not the last epoch\'s', async (t) => {
  await withExperiment(tiny(POOLER, 'epochs: 2, lr: 1e-12, patience: 0'), async (experiment) => {
    const { tf, built, data, config } = experiment;
    let best: Float32Array[] = [];
    const result = await run(experiment, ({ epoch }) => {
      if (epoch === 1) best = built.model.variables.map((variable) => variable.dataSync().slice() as Float32Array);
      // The last epoch ends with weights unlike the best epoch's (training would have moved them).
      else for (const variable of built.model.variables) variable.assign(tf.randomNormal(variable.shape, 0, 3, 'float32', 5));
    });
    t.is(result.bestEpoch, 1);
    t.deepEqual(result.epochs.map((epoch) => epoch.improved), [true, false]);
    built.model.variables.forEach((variable, index) => t.deepEqual(variable.dataSync(), best[index], variable.name));
    const again = evaluate(tf, built.model, data.validation, { batchSize: config.train.eval_batch_size, maxLength: config.train.max_length });
    t.is(again.accuracy, result.epochs[0].validation.accuracy);
    t.is(again.loss, result.epochs[0].validation.loss);
  });
});

/** L2 distance between the weights before and after one epoch of plain SGD at lr 1. */
async function sgdStepDistance(clipNorm: number): Promise<{ distance: number; steps: number }> {
  return withExperiment(tiny(POOLER, `epochs: 1, lr: 1, clip_norm: ${clipNorm}, patience: 0, optimizer: { type: sgd, momentum: 0 }`), async (experiment) => {
    const { variables } = experiment.built.model;
    const before = variables.map((variable) => variable.dataSync().slice());
    await run(experiment);
    let squares = 0;
    variables.forEach((variable, index) => variable.dataSync().forEach((value, i) => (squares += (value - before[index][i]) ** 2)));
    return { distance: Math.sqrt(squares), steps: Math.ceil(experiment.data.train.labels.length / experiment.config.train.batch_size) };
  });
}

test.serial('clip_norm bounds each step: plain SGD at lr 1 moves the weights at most steps × clip_norm', async (t) => {
  const clipped = await sgdStepDistance(1e-3);
  t.true(clipped.distance <= clipped.steps * 1e-3 * 1.001, `moved ${clipped.distance} in ${clipped.steps} steps`);
  // Every step is clipped here: unclipped gradients are far larger than 1e-3.
  t.true(clipped.distance > 0.5 * 1e-3, `moved ${clipped.distance}`);
  const free = await sgdStepDistance(0);
  t.true(free.distance > 10 * clipped.steps * 1e-3, `unclipped moved only ${free.distance}`);
});

test.serial('live tensors stay flat across training steps and epochs', async (t) => {
  await withExperiment(tiny(POOLER, 'epochs: 3, lr: 0.01, patience: 0'), async (experiment) => {
    const live: number[] = [];
    const result = await run(experiment, () => {
      live.push(experiment.tf.memory().numTensors);
    });
    t.is(result.epochs.length, 3);
    // Epoch 1 may allocate optimizer slots; after that, nothing may accumulate.
    t.is(live[2], live[1], `live tensors after each epoch: ${live.join(', ')}`);
  });
});
