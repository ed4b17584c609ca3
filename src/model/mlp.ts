/**
 * Dense layers applied to the last axis, shared by value transforms and heads.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { LayerContext, ValueTransform } from '../plugin-api.js';

export const ACTIVATIONS = ['tanh', 'relu', 'elu', 'sigmoid', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const mlpSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hidden: {
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: 4096 },
      default: [100],
      description: 'Sizes of the hidden layers.',
    },
    dim: { type: 'integer', minimum: 1, maximum: 4096, description: 'Output size; default: the input size.' },
    activation: { enum: [...ACTIVATIONS], default: 'tanh', description: 'Activation after each layer but the last.' },
  },
} as const;

/**
 * Dense layers of the given sizes (`sizes[0]` is the input): `activation` after each hidden layer,
 * `outputActivation` after the last.
 */
export function createMlp(
  prefix: string,
  sizes: readonly number[],
  activation: Activation,
  ctx: LayerContext,
  outputActivation: Activation = 'linear',
): ValueTransform {
  const { nn } = ctx;
  const layers = sizes.slice(1).map((size, index) => ({
    kernel: nn.glorot(`${prefix}/dense_${index}/kernel`, [sizes[index], size], ctx.seed + index),
    bias: nn.zeros(`${prefix}/dense_${index}/bias`, [size]),
  }));
  return {
    outputDim: sizes[sizes.length - 1],
    variables: layers.flatMap(({ kernel, bias }) => [kernel, bias]),
    apply<T extends Tensor>(x: T): T {
      return layers.reduce(
        (current, { kernel, bias }, index) => nn.dense(current, kernel as never, bias as never, index < layers.length - 1 ? activation : outputActivation),
        x,
      );
    },
  };
}
