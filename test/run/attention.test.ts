/**
 * What the brief's models must do, checked on synthetic reviews where the label sits in a few
 * planted words: attention poolers learn to look at them; padding never matters; a seed fixes
 * every number.
 */
import test from 'ava';
import type { Scalar, Tensor2D, Variable } from '@tensorflow/tfjs';
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
  const experiment = await buildExperiment(syntheticConfig('  encoder: { type: lstm, state_size: 8, bidirectional: true }\n  pooler: { type: text-query }'));
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
  const model = '  encoder: { type: gru, state_size: 8 }\n  pooler: { type: fixed-query }\n  head: { type: linear, dropout: 0.2 }';
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
  'two heads': '  pooler: { type: multi-head, heads: 2 }\n  value: { type: mlp, hidden_layers: [6] }',
})) {
  test.serial(`the input gradient reaches every path that embeds a token, the value pooled per distinct token included (${name})`, async (t) => {
    const { tf, built } = await buildExperiment(syntheticConfig(model), ['embeddings.trainable=true']);
    try {
      const ids = tf.tensor2d([[5, 9, 5, 7, 9], [4, 5, 4, 0, 0]], [2, 5], 'int32');
      const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);
      const objective = ({ logits }: { logits: Tensor2D }) => tf.sum(tf.mul(logits, tf.tensor2d([[1, -2], [0.5, 3]]))) as Scalar;
      const perToken = tf.variableGrads(() => objective(built.model.forward(ids, mask, false)), [built.embeddings as Variable]);
      const probed = built.probe.inputGradient(ids, () => built.model.forward(ids, mask, false), (_, taped) => objective(taped));
      t.true(Math.abs(perToken.value.dataSync()[0] - objective(probed.output).dataSync()[0]) < 1e-5);
      // The embedding table's gradient is the input gradient summed over the positions of each id.
      const table = perToken.grads[(built.embeddings as Variable).name].arraySync() as number[][];
      const positions = probed.gradient.arraySync();
      const flatIds = ids.arraySync().flat();
      for (const id of new Set(flatIds)) {
        const summed = table[id].map((_, d) => flatIds.reduce((sum, other, p) => (other === id ? sum + positions[Math.floor(p / 5)][p % 5][d] : sum), 0));
        const far = summed.findIndex((value, d) => Math.abs(value - table[id][d]) > 1e-5);
        t.is(far, -1, `gradient of token ${id}`);
      }
    } finally {
      built.dispose();
    }
  });

  test.serial(`a replaced attention is what the model pools under (${name})`, async (t) => {
    const { tf, built } = await buildExperiment(syntheticConfig(model));
    try {
      // Over no encoder, all the attention on one word gives the prediction for that word alone.
      const ids = tf.tensor2d([[5, 9, 7]], [1, 3], 'int32');
      const onWord = built.probe.withAttention(tf.tensor2d([[0, 1, 0]]), () => built.model.forward(ids, tf.ones([1, 3]), false).logits).dataSync();
      const alone = built.model.forward(tf.tensor2d([[9]], [1, 1], 'int32'), tf.ones([1, 1]), false).logits.dataSync();
      const own = built.model.forward(ids, tf.ones([1, 3]), false).logits.dataSync();
      onWord.forEach((logit, index) => t.true(Math.abs(logit - alone[index]) < 1e-5, `logit ${index}`));
      t.true(own.some((logit, index) => Math.abs(logit - alone[index]) > 1e-4));
    } finally {
      built.dispose();
    }
  });
}
