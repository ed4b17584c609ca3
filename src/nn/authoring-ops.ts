/**
 * `ctx.nn` members for plugin authors writing their own layers: a trainable variable with an
 * initial value of their choosing, and `tf.customGrad` typed by the op's inputs, so that a custom
 * backward needs no casts of `unknown[]`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';

/** The gradient of each input, in input order, each of that input's shape. */
export type InputGradients<I extends readonly tfjs.Tensor[]> = { readonly [K in keyof I]: tfjs.Tensor };

/** A forward pass over `inputs` giving its value and how to turn dL/dvalue into dL/dinput. */
export type CustomGradientForward<I extends readonly tfjs.Tensor[], O extends tfjs.Tensor> = (...inputs: I) => {
  readonly value: O;
  readonly gradient: (dy: O) => InputGradients<I>;
};

export function variable(tf: Tf, name: string, initialValue: tfjs.Tensor | tfjs.TensorLike): tfjs.Variable {
  const tensor = initialValue instanceof tf.Tensor ? initialValue : tf.tensor(initialValue);
  const created = tf.variable(tensor, true, name);
  if (tensor !== initialValue) tensor.dispose();
  return created;
}

export function customGradient<I extends readonly tfjs.Tensor[], O extends tfjs.Tensor>(tf: Tf, forward: CustomGradientForward<I, O>): (...inputs: I) => O {
  const op = tf.customGrad((...args) => {
    // tfjs passes a `save` function after the inputs; the typed forward keeps what it needs itself.
    const { value, gradient } = forward(...(args.slice(0, -1) as unknown as I));
    return { value, gradFunc: (dy: O) => [...gradient(dy)] };
  });
  return (...inputs) => op(...inputs) as O;
}
