import type { NamedTensorMap, Optimizer, Tensor } from '@tensorflow/tfjs';
import type { PluginDescriptor, Tf } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Decay of the first moment.' },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.999, description: 'Decay of the second moment.' },
    epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-8, description: 'Added to the denominator.' },
  },
} as const;

/** A named tensor as tfjs's optimizers take and give them. */
interface NamedTensor {
  readonly name: string;
  readonly tensor: Tensor;
}

/** The moments of one variable. */
interface Moments {
  readonly first: Float32Array;
  readonly second: Float32Array;
}

/** What one step of Adam needs besides the arrays: the decays, epsilon, and the bias corrections of this step. */
interface AdamStep {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly stepSize: number;
  readonly secondCorrection: number;
}

/**
 * One Adam update of `values` in place, its moments updated from `grads`. A function of its own:
 * inlined in `applyGradients`' closure, V8 left the loop unoptimised in a training process,
 * ~25 ms per step for a bidirectional LSTM's 85 k weights instead of ~2 ms.
 */
function adamStep(values: Float32Array, first: Float32Array, second: Float32Array, grads: Float32Array, { beta1, beta2, epsilon, stepSize, secondCorrection }: AdamStep): void {
  for (let k = 0; k < values.length; k++) {
    const g = grads[k];
    first[k] = beta1 * first[k] + (1 - beta1) * g;
    second[k] = beta2 * second[k] + (1 - beta2) * g * g;
    values[k] -= (stepSize * first[k]) / (Math.sqrt(second[k] / secondCorrection) + epsilon);
  }
}

/**
 * tfjs's Adam, its update computed in one pass over typed arrays per variable: tfjs runs ~15 wasm
 * kernels per variable and step, which cost more than the arithmetic of a model of a few hundred
 * weights. The moments live in typed arrays; `getWeights` and `setWeights` hand them over as tfjs's
 * Adam names them (`<variable>/m`, `<variable>/v`).
 */
function typedArrayAdam(tf: Tf, learningRate: number, beta1: number, beta2: number, epsilon: number): Optimizer {
  class TypedArrayAdam extends tf.AdamOptimizer {
    private readonly moments = new Map<string, Moments>();
    private steps = 0;

    override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
      const named = Array.isArray(variableGradients) ? variableGradients.map(({ name, tensor }) => [name, tensor] as const) : Object.entries(variableGradients);
      this.steps++;
      const { beta1, beta2, epsilon } = this;
      const stepSize = this.learningRate / (1 - Math.pow(beta1, this.steps));
      const secondCorrection = 1 - Math.pow(beta2, this.steps);
      tf.tidy(() => {
        for (const [name, gradient] of named) {
          const variable = tf.engine().registeredVariables[name];
          const values = Float32Array.from(variable.dataSync() as Float32Array);
          const { first, second } = this.momentsOf(name, values.length);
          adamStep(values, first, second, gradient.dataSync() as Float32Array, { beta1, beta2, epsilon, stepSize, secondCorrection });
          variable.assign(tf.tensor(values, variable.shape, variable.dtype));
        }
      });
      this.incrementIterations();
    }

    override async getWeights(): Promise<NamedTensor[]> {
      const entries = [...this.moments];
      return [
        await this.saveIterations(),
        ...entries.map(([name, { first }]) => ({ name: `${name}/m`, tensor: tf.tensor(first) })),
        ...entries.map(([name, { second }]) => ({ name: `${name}/v`, tensor: tf.tensor(second) })),
      ];
    }

    override async setWeights(weightValues: NamedTensor[]): Promise<void> {
      const moments = await this.extractIterations(weightValues);
      this.steps = this.iterations;
      this.moments.clear();
      const half = moments.length / 2;
      moments.slice(0, half).forEach(({ name, tensor }, index) => {
        this.moments.set(name.replace(/\/m$/, ''), { first: Float32Array.from(tensor.dataSync()), second: Float32Array.from(moments[half + index].tensor.dataSync()) });
      });
    }

    private momentsOf(name: string, size: number): Moments {
      let moments = this.moments.get(name);
      if (moments === undefined) {
        moments = { first: new Float32Array(size), second: new Float32Array(size) };
        this.moments.set(name, moments);
      }
      return moments;
    }
  }
  return new TypedArrayAdam(learningRate, beta1, beta2, epsilon);
}

export default {
  kind: 'optimizer',
  name: 'adam',
  description: 'Adam (Kingma & Ba 2015), the default; the learning rate is train.lr.',
  schema,
  create: (params, { tf, learningRate }) => typedArrayAdam(tf, learningRate, params.beta1, params.beta2, params.epsilon),
} satisfies PluginDescriptor<'optimizer', typeof schema>;
