/**
 * What the brief's models must do, checked on synthetic reviews where the label sits in a few
 * planted words: attention poolers learn to look at them; padding never matters; a seed fixes
 * every number.
 */
import test from 'ava';
import { NEGATIVE_WORDS, POSITIVE_WORDS } from '../../src/data/synthetic.js';
import { tokenize } from '../../src/data/tokenize.js';
import { evaluate } from '../../src/train/evaluate.js';
import { buildExperiment, syntheticConfig, trainExperiment } from '../helpers/experiment.js';

const PLANTED = new Set<string>([...POSITIVE_WORDS, ...NEGATIVE_WORDS]);

const poolers = {
  'fixed-query': '  pooler: { type: fixed-query }',
  'text-query + value': '  pooler: { type: text-query }\n  value: { type: linear, activation: tanh }',
  additive: '  pooler: { type: additive, units: 16 }',
};

for (const [name, model] of Object.entries(poolers)) {
  test.serial(`${name} learns to attend to the planted words`, async (t) => {
    const experiment = await buildExperiment(syntheticConfig(model), ['train.epochs=20']);
    try {
      await trainExperiment(experiment);
      const { tf, data, built, config } = experiment;
      const result = evaluate(tf, built.model, data.test, { batchSize: 64, maxLength: config.train.max_length });
      const plantedShare = data.corpus.test.map((example, index) => {
        const tokens = tokenize(example.text);
        const weights = result.attention[index];
        return tokens.reduce((sum, token, position) => sum + (PLANTED.has(token) ? weights[position] : 0), 0);
      });
      const meanShare = plantedShare.reduce((sum, share) => sum + share, 0) / plantedShare.length;
      // Two planted words among 10–40: uniform attention would give them about 8%.
      t.true(meanShare > 0.5, `attention on planted words: ${(100 * meanShare).toFixed(1)}%`);
      t.true(result.accuracy > 0.9, `test accuracy ${result.accuracy}`);
    } finally {
      experiment.built.dispose();
    }
  });
}

test.serial('padding never matters: attention is 0 on pads, sums to 1, predictions do not change', async (t) => {
  const experiment = await buildExperiment(syntheticConfig('  encoder: { type: lstm, hidden: 8, bidirectional: true }\n  pooler: { type: text-query }'));
  const { tf, built } = experiment;
  try {
    const ids = [5, 9, 3, 7];
    const alone = tf.tidy(() => {
      const output = built.model.forward(tf.tensor2d([ids], [1, 4], 'int32'), tf.ones([1, 4]) as never, false);
      return [output.logits.arraySync(), output.attention.arraySync()] as const;
    });
    const padded = tf.tidy(() => {
      const batch = tf.tensor2d([[...ids, 0, 0, 0], [4, 4, 4, 4, 4, 4, 4]], [2, 7], 'int32');
      const mask = tf.tensor2d([[1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1]], [2, 7]);
      const output = built.model.forward(batch, mask as never, false);
      return [output.logits.arraySync(), output.attention.arraySync()] as const;
    });
    const attention = padded[1][0];
    t.deepEqual(attention.slice(4), [0, 0, 0]);
    t.true(Math.abs(attention.reduce((sum, weight) => sum + weight, 0) - 1) < 1e-5);
    alone[0][0].forEach((logit, index) => t.true(Math.abs(logit - padded[0][0][index]) < 1e-5));
    alone[1][0].forEach((weight, index) => t.true(Math.abs(weight - attention[index]) < 1e-6));
  } finally {
    built.dispose();
  }
});

test.serial('the same seed on the same backend gives the same numbers', async (t) => {
  const model = '  encoder: { type: gru, hidden: 8 }\n  pooler: { type: fixed-query }\n  head: { type: linear, dropout: 0.2 }';
  const losses = [];
  for (const seed of [3, 3, 4]) {
    const experiment = await buildExperiment(syntheticConfig(model), [`seed=${seed}`, 'train.epochs=2']);
    try {
      const result = await trainExperiment(experiment);
      losses.push(result.epochs.map((epoch) => [epoch.trainLoss, epoch.validation.loss]));
    } finally {
      experiment.built.dispose();
    }
  }
  t.deepEqual(losses[0], losses[1]);
  t.notDeepEqual(losses[0], losses[2]);
});

for (const [name, model] of Object.entries({
  'one head': '  pooler: { type: text-query }\n  value: { type: linear, activation: tanh }',
  'two heads': '  pooler: { type: multi-head, heads: 2 }\n  value: { type: mlp, hidden: [6] }',
})) {
  test.serial(`a value transform pooled per distinct token gives the numbers of one applied at every position (${name})`, async (t) => {
    const { tf, built } = await buildExperiment(syntheticConfig(model), ['embeddings.trainable=true']);
    try {
      const ids = tf.tensor2d([[5, 9, 5, 7, 9], [4, 5, 4, 0, 0]], [2, 5], 'int32');
      const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);
      const lossOf = (forward: () => ReturnType<typeof built.model.forward>) =>
        tf.variableGrads(() => tf.sum(tf.mul(forward().logits, tf.tensor2d([[1, -2], [0.5, 3]]))) as never);
      const perToken = lossOf(() => built.model.forward(ids, mask, false));
      const everywhere = lossOf(() => built.model.forwardEmbedded(built.model.embed(ids), mask, false));
      t.true(Math.abs(perToken.value.dataSync()[0] - everywhere.value.dataSync()[0]) < 1e-5);
      t.deepEqual(Object.keys(perToken.grads).sort(), Object.keys(everywhere.grads).sort());
      for (const [variable, gradient] of Object.entries(everywhere.grads)) {
        const found = perToken.grads[variable].dataSync();
        const far = gradient.dataSync().findIndex((value, i) => Math.abs(value - found[i]) > 1e-5);
        t.is(far, -1, `gradient of ${variable}`);
      }
    } finally {
      built.dispose();
    }
  });
}
