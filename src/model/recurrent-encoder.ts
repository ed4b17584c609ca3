/**
 * Stacked, optionally bidirectional recurrent encoders (LSTM, GRU) built on the fused recurrent
 * ops of `ctx.nn`; the `lstm` and `gru` plugins share this schema and factory.
 */
import type { Tensor3D } from '@tensorflow/tfjs';
import type { FromSchema } from 'json-schema-to-ts';
import type { Encoder, LayerContext } from '../plugin-api.js';
import type { RecurrentWeights } from '../nn/ops.js';

export const recurrentEncoderSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    layers: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'Stacked layers; attention pools the last one.' },
    hidden: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'State size per direction.' },
    bidirectional: { type: 'boolean', default: false, description: 'Also read each review right to left and concatenate both states.' },
    dropout: { type: 'number', minimum: 0, maximum: 0.95, default: 0, description: 'Dropout on the inputs of layers above the first, while training.' },
  },
} as const;

export type RecurrentEncoderParams = FromSchema<typeof recurrentEncoderSchema>;
export type RecurrentCell = 'lstm' | 'gru';

const GATES: Record<RecurrentCell, number> = { lstm: 4, gru: 3 };

export function createRecurrentEncoder(cell: RecurrentCell, params: RecurrentEncoderParams, ctx: LayerContext): Encoder {
  const { tf, nn } = ctx;
  const directions = params.bidirectional ? ['forward', 'backward'] : ['forward'];
  const gates = GATES[cell] * params.hidden;
  const layers: RecurrentWeights[][] = [];
  let inputDim = ctx.inputDim;
  for (let layer = 0; layer < params.layers; layer++) {
    layers.push(
      directions.map((direction, index) => {
        const prefix = `encoder/${cell}_${layer}_${direction}`;
        const seed = ctx.seed + 97 * layer + index;
        return {
          kernel: nn.glorot(`${prefix}/kernel`, [inputDim, gates], seed),
          recurrentKernel: nn.glorot(`${prefix}/recurrent_kernel`, [params.hidden, gates], seed + 1000),
          bias: nn.zeros(`${prefix}/bias`, [gates]),
        };
      }),
    );
    inputDim = params.hidden * directions.length;
  }
  let dropoutCalls = 0;
  return {
    outputDim: inputDim,
    variables: layers.flat().flatMap((weights) => [weights.kernel, weights.recurrentKernel, weights.bias]),
    apply(x, mask, training) {
      let states = x;
      layers.forEach((weights, layer) => {
        if (layer > 0 && training && params.dropout > 0) states = nn.dropout(states, params.dropout, ctx.seed + ++dropoutCalls);
        const outputs = weights.map((directionWeights, index) => nn[cell](states, mask, directionWeights, { reverse: index === 1 }));
        states = outputs.length === 1 ? outputs[0] : (tf.concat(outputs, 2) as Tensor3D);
      });
      return states;
    },
  };
}
