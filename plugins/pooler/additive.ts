import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    units: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'Size of the hidden layer that scores each token (W and U have this many columns).' },
  },
} as const;

/**
 * Additive attention (Bahdanau et al., 2015): score_i = wᵀ tanh(W h_i + U q), softmax over the real
 * tokens. The query q is learned; in the paper it is the decoder state.
 */
export default {
  kind: 'pooler',
  name: 'additive',
  description: 'Additive (Bahdanau) attention: score_i = wᵀ tanh(W·h_i + U·q), q learned.',
  schema,
  create(params, { tf, nn, inputDim, seed }) {
    const variable = (name: string, shape: readonly number[]) => nn.glorot(name, shape, nn.deriveSeed(seed, name));
    const keyKernel = variable('pooler/W', [inputDim, params.units]);
    const queryKernel = variable('pooler/U', [inputDim, params.units]);
    const query = variable('pooler/q', [1, inputDim]);
    const scorer = variable('pooler/w', [params.units, 1]);
    return {
      variables: [keyKernel, queryKernel, query, scorer],
      attend(h, mask) {
        // U q is the same for every token, so it enters as the bias of W h_i.
        const queryTerm = tf.reshape(tf.matMul(query, queryKernel), [params.units]) as Tensor1D;
        const hidden = tf.tanh(nn.dense(h, keyKernel as Tensor2D, queryTerm));
        return nn.maskedSoftmax(tf.squeeze(nn.dense(hidden, scorer as Tensor2D), [2]), mask);
      },
    };
  },
} satisfies PluginDescriptor<'pooler', typeof schema>;
