/**
 * Layers composed from the ops, handed to plugins as `ctx.nn.mlp` and `ctx.nn.recurrentLayers`:
 * dense stacks (value transforms, heads) and stacked, optionally bidirectional LSTM/GRU encoders.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import type { DenseActivation } from './dense.js';
import type { NnOps, RecurrentWeights } from './ops.js';
import { bidirectional } from './recurrent.js';

/** Dense layers applied to the last axis. */
export interface DenseStack {
  readonly outputDim: number;
  readonly variables: readonly tfjs.Variable[];
  /** x [..., sizes[0]] → [..., outputDim]. */
  apply<T extends tfjs.Tensor>(x: T): T;
}

export interface MlpOptions {
  /** After each layer but the last. */
  readonly activation: DenseActivation;
  /** After the last layer; `linear` when absent. */
  readonly outputActivation?: DenseActivation;
  /** Layer k's kernel is initialised from `deriveSeed(seed, '<prefix>/dense_<k>')`. */
  readonly seed: number;
}

/** Dense layers of the given sizes (`sizes[0]` is the input), named `<prefix>/dense_<k>/{kernel,bias}`. */
export function mlp(nn: NnOps, prefix: string, sizes: readonly number[], options: MlpOptions): DenseStack {
  const layers = sizes.slice(1).map((size, index) => ({
    kernel: nn.glorot(`${prefix}/dense_${index}/kernel`, [sizes[index], size], nn.deriveSeed(options.seed, `${prefix}/dense_${index}`)),
    bias: nn.zeros(`${prefix}/dense_${index}/bias`, [size]),
  }));
  const last = layers.length - 1;
  return {
    outputDim: sizes[sizes.length - 1],
    variables: layers.flatMap(({ kernel, bias }) => [kernel, bias]),
    apply: <T extends tfjs.Tensor>(x: T): T =>
      layers.reduce(
        (current, { kernel, bias }, index) =>
          nn.dense(current, kernel as tfjs.Tensor as tfjs.Tensor2D, bias as tfjs.Tensor as tfjs.Tensor1D, index < last ? options.activation : (options.outputActivation ?? 'linear')),
        x,
      ),
  };
}

export type RecurrentCell = 'lstm' | 'gru';

export interface RecurrentLayersOptions {
  readonly inputDim: number;
  /** State size per direction. */
  readonly stateSize: number;
  readonly layers: number;
  /** Also read right to left and concatenate both directions' states. */
  readonly bidirectional: boolean;
  /** Dropout on the inputs of layers above the first, while training. */
  readonly dropout: number;
  readonly seed: number;
}

/** Stacked recurrent layers: x [batch, time, inputDim] → the last layer's states [batch, time, outputDim]. */
export interface RecurrentLayers {
  readonly outputDim: number;
  readonly variables: readonly tfjs.Variable[];
  apply(x: tfjs.Tensor3D, mask: tfjs.Tensor2D, training: boolean): tfjs.Tensor3D;
}

const GATES: Record<RecurrentCell, number> = { lstm: 4, gru: 3 };

/** Weights named `encoder/<cell>_<layer>_<direction>/…`, the names checkpoints store. */
export function recurrentLayers(tf: Tf, nn: NnOps, cell: RecurrentCell, options: RecurrentLayersOptions): RecurrentLayers {
  const directions = options.bidirectional ? ['forward', 'backward'] : ['forward'];
  const gates = GATES[cell] * options.stateSize;
  const layers: RecurrentWeights[][] = [];
  let inputDim = options.inputDim;
  for (let layer = 0; layer < options.layers; layer++) {
    layers.push(
      directions.map((direction) => {
        const prefix = `encoder/${cell}_${layer}_${direction}`;
        return {
          kernel: nn.glorot(`${prefix}/kernel`, [inputDim, gates], nn.deriveSeed(options.seed, `${prefix}/kernel`)),
          recurrentKernel: nn.glorot(`${prefix}/recurrent_kernel`, [options.stateSize, gates], nn.deriveSeed(options.seed, `${prefix}/recurrent_kernel`)),
          bias: nn.zeros(`${prefix}/bias`, [gates]),
        };
      }),
    );
    inputDim = options.stateSize * directions.length;
  }
  const dropoutSeeds = layers.map((_, layer) => nn.deriveSeed(options.seed, `encoder/${cell}_${layer}/dropout`));
  return {
    outputDim: inputDim,
    variables: layers.flat().flatMap((weights) => [weights.kernel, weights.recurrentKernel, weights.bias]),
    apply(x, mask, training) {
      let states = x;
      layers.forEach((weights, layer) => {
        if (layer > 0 && training && options.dropout > 0) states = nn.dropout(states, options.dropout, dropoutSeeds[layer]);
        const [forward, backward] = weights;
        states = backward === undefined ? nn[cell](states, mask, forward) : bidirectional(tf, cell, states, mask, forward, backward);
      });
      return states;
    },
  };
}
