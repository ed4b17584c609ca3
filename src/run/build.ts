/** Builds what a run computes with from a resolved config: the model and its training parts. */
import type * as tfjs from '@tensorflow/tfjs';
import type { Container } from 'inversify';
import type { ResolvedConfig } from '../config/types.js';
import { createNnOps } from '../nn/ops.js';
import type { Model, Regularizer, Tf } from '../plugin-api.js';
import { buildPlugin } from '../plugins/container.js';
import { createModelProbe, type ModelProbe } from './model-probe.js';

export interface EmbeddingSource {
  /** Row-major float32 [vocabulary, dim]. */
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly trainable: boolean;
}

export interface BuiltModel {
  readonly model: Model;
  /** What the analyses (gradient × input, attention permutations) see of the model's insides. */
  readonly probe: ModelProbe;
  readonly embeddings: tfjs.Tensor2D | tfjs.Variable;
  readonly regularizers: readonly Regularizer[];
  readonly optimizer: tfjs.Optimizer;
  /** Frees the model's tensors, and with them its variable names. */
  dispose(): void;
}

export async function buildModel(
  tf: Tf,
  config: ResolvedConfig,
  container: Container,
  source: EmbeddingSource,
  numClasses: number,
): Promise<BuiltModel> {
  const matrix = tf.tensor2d(source.vectors, [source.vectors.length / source.dim, source.dim]);
  const embeddings = source.trainable ? tf.variable(matrix, true, 'embeddings') : matrix;
  if (source.trainable) matrix.dispose();
  const probe = createModelProbe(tf, createNnOps(tf));
  const model = await buildPlugin(container, 'model', config.model, { tf, nn: probe.nn, seed: config.seed, embeddings, numClasses }, probe.wrap);
  const context = { tf, nn: probe.nn, seed: config.seed };
  const regularizers: Regularizer[] = [];
  for (const block of Object.values(config.regularizers)) regularizers.push(await buildPlugin(container, 'regularizer', block, context));
  const optimizer = await buildPlugin(container, 'optimizer', config.train.optimizer, { ...context, learningRate: config.train.lr });
  return {
    model,
    probe,
    embeddings,
    regularizers,
    optimizer,
    dispose: () => {
      optimizer.dispose();
      tf.dispose([...model.variables, embeddings]);
    },
  };
}
