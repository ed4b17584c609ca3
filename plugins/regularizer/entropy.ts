import type { Scalar, Tensor2D } from '@tensorflow/tfjs';
import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    weight: { type: 'number', default: 0.01, description: 'Adds weight × mean attention entropy to the loss; > 0 focuses the attention, < 0 spreads it.' },
  },
} as const;

/**
 * Mean over the batch of H(p) = -Σ_i p_i log p_i, padded positions (p = 0) contributing 0 (Q5).
 * It runs on the attention's values in one op: the same formula in tfjs ops is seven wasm kernels
 * forward and as many backward, each costing more than the arithmetic over a batch's attention.
 */
export default {
  kind: 'regularizer',
  name: 'entropy',
  description: 'Entropy of the attention, added to the loss to focus it (Q5).',
  schema,
  create(params, { tf, nn }) {
    const weightedEntropy = nn.customGradient((attention: Tensor2D) => {
      const p = attention.dataSync();
      const scale = -params.weight / attention.shape[0];
      const logs = new Float32Array(p.length);
      let sum = 0;
      for (let k = 0; k < p.length; k++) sum += p[k] * (logs[k] = Math.log(p[k] + 1e-12));
      return {
        value: tf.scalar(scale * sum),
        // d(p·log(p + ε))/dp = log(p + ε) + p / (p + ε)
        gradient: (dy: Scalar) => {
          const factor = scale * dy.dataSync()[0];
          const gradient = new Float32Array(p.length);
          for (let k = 0; k < p.length; k++) gradient[k] = factor * (logs[k] + p[k] / (p[k] + 1e-12));
          return [tf.tensor2d(gradient, attention.shape)];
        },
      };
    });
    return { penalty: ({ attention }) => weightedEntropy(attention) };
  },
} satisfies PluginDescriptor<'regularizer', typeof schema>;
