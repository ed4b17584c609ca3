import type { Tensor2D } from '@tensorflow/tfjs';
import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      hidden_units: { ...f.units(0, 'Hidden units of an MLP computing q; 0 = linear q = W·mean(h) + b.', 0), 'x-renamed-from': 'hidden' },
      activation: f.activation('tanh', 'Activation of the MLP’s hidden layer.'),
    },
  }) as const;

/** The query depends on the text: q = f(masked mean of h), then softmax_i(q·h_i) (the brief’s Q3). */
export default {
  kind: 'pooler',
  name: 'text-query',
  description: 'Attention whose query is computed from the text: q = W·mean(h) + b, or a small MLP (Q3).',
  schema,
  create(params, { tf, nn, inputDim, seed }) {
    const layers = params.hidden_units > 0 ? [inputDim, params.hidden_units, inputDim] : [inputDim, inputDim];
    const weights = layers.slice(1).map((width, index) => ({
      kernel: nn.glorot(`pooler/query_${index}/kernel`, [layers[index], width], nn.deriveSeed(seed, `pooler/query_${index}`)),
      bias: nn.zeros(`pooler/query_${index}/bias`, [width]),
    }));
    const { activation } = params;
    const activate = (x: Tensor2D): Tensor2D => (activation === 'linear' ? x : tf[activation](x));
    return {
      variables: weights.flatMap(({ kernel, bias }) => [kernel, bias]),
      attend(h, mask) {
        const uniform = tf.div(mask, tf.sum(mask, 1, true)) as Tensor2D;
        let query = nn.weightedSum(uniform, h);
        weights.forEach(({ kernel, bias }, index) => {
          query = nn.dense(query, kernel as Tensor2D, bias as never);
          if (index < weights.length - 1) query = activate(query);
        });
        return nn.maskedSoftmax(nn.tokenScores(h, query), mask);
      },
    };
  },
} satisfies PluginDescriptor<'pooler', typeof schema>;
