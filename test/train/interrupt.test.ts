/** Training stops within one batch of an abort, whatever the epoch is doing. */
import test from 'ava';
import { InterruptedError } from '../../src/run/interrupt.js';
import { train } from '../../src/train/trainer.js';
import type { ProgressReporter } from '../../src/plugin-api.js';
import { buildExperiment, syntheticConfig } from '../helpers/experiment.js';

test.serial('an abort during a batch stops training before the next batch and throws the abort reason', async (t) => {
  const experiment = await buildExperiment(syntheticConfig('  pooler: { type: fixed-query }'), ['train.epochs=3', 'train.batch_size=16']);
  const controller = new AbortController();
  let batches = 0;
  let epochsEnded = 0;
  const perEpoch = Math.ceil(experiment.data.train.labels.length / 16);
  // The signal arrives while the third batch of epoch 2 trains (ticks come at each batch's end).
  const stopAt = perEpoch + 3;
  const progress: ProgressReporter = {
    start: (label) => ({
      tick: () => {
        if (!label.startsWith('epoch')) return;
        batches++;
        if (batches === stopAt) controller.abort(new InterruptedError('SIGTERM'));
      },
      status: () => undefined,
      done: () => undefined,
    }),
  };
  try {
    const error = await t.throwsAsync(
      train({
        tf: experiment.tf,
        model: experiment.built.model,
        optimizer: experiment.built.optimizer,
        regularizers: experiment.built.regularizers,
        train: experiment.data.train,
        validation: experiment.data.validation,
        settings: experiment.config.train,
        seed: experiment.config.seed,
        progress,
        signal: controller.signal,
        onEpoch: () => void epochsEnded++,
      }),
      { instanceOf: InterruptedError },
    );
    t.is(error?.exitCode, 143);
    t.is(batches, stopAt, 'no batch after the one that saw the signal');
    t.is(epochsEnded, 1, 'the interrupted epoch reports no result');
  } finally {
    experiment.built.dispose();
  }
});
