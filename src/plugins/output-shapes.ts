/**
 * Checks the sizes a plugin declares before it allocates (its descriptor's `outputDim` or
 * `heads`), and, on the first call, that a built layer returns tensors of the shapes the contract
 * promises; a wrong size becomes a PluginError naming the plugin file and the expected shape,
 * instead of a shape mismatch deep inside the model or the trainer.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { PluginError } from '../errors.js';
import type { AnyPlugin, ContextOf, Created, Encoder, Head, PluginKind, Pooler, ValueTransform } from '../plugin-api.js';

/** What a plugin's descriptor says its layer will be: an output size (encoder, value) or a head count (pooler). */
export type DeclaredSize = { readonly outputDim: number } | { readonly heads: number | undefined };

/** Raises a size problem of `code` with `message` about one block (located by the caller). */
export type SizeFailure = (code: 'plugin-declared-size' | 'plugin-input-size', message: string) => never;

/**
 * The size `plugin` declares for `params` and `inputDim`, before anything is allocated; undefined
 * when it declares none. A pooler without `heads()` declares one head. A declared size that is not
 * a positive integer fails.
 */
export function declaredSize(plugin: AnyPlugin, params: unknown, inputDim: number | undefined, fail: SizeFailure): DeclaredSize | undefined {
  const refuse = (what: string, found: unknown): never =>
    fail('plugin-declared-size', `${plugin.kind} "${plugin.name}" declares ${what} ${String(found)} for input size ${inputDim}; expected a positive integer`);
  if ((plugin.kind === 'encoder' || plugin.kind === 'value') && plugin.outputDim && inputDim !== undefined) {
    const outputDim = plugin.outputDim(params as never, inputDim);
    if (!Number.isInteger(outputDim) || outputDim < 1) refuse('outputDim', outputDim);
    return { outputDim };
  }
  if (plugin.kind === 'pooler') {
    const heads = plugin.heads?.(params as never);
    if (heads !== undefined && (!Number.isInteger(heads) || heads < 1)) refuse('heads', heads);
    return { heads };
  }
  return undefined;
}

/** Fails when `plugin`'s `checkInputDim` refuses inputs of `inputDim`, saying why and what it was given. */
export function checkInputSize(plugin: AnyPlugin, params: unknown, inputDim: number | undefined, fail: SizeFailure): void {
  const reason = inputDim === undefined ? undefined : plugin.checkInputDim?.(params as never, inputDim);
  if (reason !== undefined) fail('plugin-input-size', `${plugin.kind} "${plugin.name}" cannot take input size ${inputDim}: ${reason}`);
}

/** Refuses a created layer whose size differs from what its descriptor declared. */
export function checkDeclaredSize(kind: PluginKind, created: Created[PluginKind], declared: DeclaredSize | undefined, file: string): void {
  if (!declared) return;
  const [name, found, expected] =
    'outputDim' in declared ? ['outputDim', (created as Encoder | ValueTransform).outputDim, declared.outputDim] : ['heads', (created as Pooler).heads, declared.heads];
  if (found !== expected) {
    const declaration = expected === undefined ? 'one head (no heads(), or heads() undefined)' : `${name}() = ${String(expected)}`;
    throw new PluginError('plugin-declared-size', file, `${kind} built with ${name} ${String(found)}, but its descriptor declares ${declaration}; make the two agree`);
  }
}

/** `created` with its forward method checked on first use, for the kinds that map tensors. */
export function withOutputShapeCheck<K extends PluginKind>(kind: K, created: Created[K], context: Omit<ContextOf[K], 'build'>, file: string): Created[K] {
  const fail = (method: string, found: readonly number[], expected: string): never => {
    throw new PluginError('plugin-output-shape', file, `${kind} ${method}() returned shape [${found.join(', ')}]; expected ${expected}`);
  };
  switch (kind) {
    case 'pooler':
      return checkFirstCall(created as Pooler, 'attend', (weights, h) => {
        const [batch, time] = h.shape;
        const heads = (created as Pooler).heads;
        if (heads === undefined && !sameShape(weights.shape, [batch, time])) {
          fail('attend', weights.shape, `[batch, time] = [${batch}, ${time}] (a pooler with several heads returns [batch, heads, time] and declares "heads")`);
        }
        if (heads !== undefined && !sameShape(weights.shape, [batch, heads, time])) {
          fail('attend', weights.shape, `[batch, heads, time] = [${batch}, ${heads}, ${time}] (it declares heads: ${heads})`);
        }
      }) as Created[K];
    case 'encoder':
    case 'value': {
      const layer = created as Encoder | ValueTransform;
      return checkFirstCall(layer, 'apply', (output, x) => {
        const [batch, time] = x.shape;
        const expected = [batch, time, layer.outputDim];
        if (!sameShape(output.shape, expected)) fail('apply', output.shape, `[batch, time, outputDim] = [${expected.join(', ')}]`);
      }) as Created[K];
    }
    case 'head': {
      const { numClasses } = context as Omit<ContextOf['head'], 'build'>;
      return checkFirstCall(created as Head, 'apply', (logits, t) => {
        if (!sameShape(logits.shape, [t.shape[0], numClasses])) fail('apply', logits.shape, `[batch, classes] = [${t.shape[0]}, ${numClasses}]`);
      }) as Created[K];
    }
    default:
      return created;
  }
}

/**
 * A view of `target` whose `method` runs `check` on its first result and first argument (the input
 * tensor); later calls cost nothing.
 */
function checkFirstCall<T extends object>(target: T, method: keyof T, check: (result: tfjs.Tensor, input: tfjs.Tensor) => void): T {
  const original = target[method] as unknown as (input: tfjs.Tensor, ...rest: unknown[]) => tfjs.Tensor;
  let checked = false;
  const wrapped = (input: tfjs.Tensor, ...rest: unknown[]): tfjs.Tensor => {
    const result = original.call(target, input, ...rest);
    if (!checked) {
      check(result, input);
      checked = true;
    }
    return result;
  };
  // A proxy keeps the layer's other members (variables, getters, its prototype) as they are.
  return new Proxy(target, { get: (object, key, receiver) => (key === method ? wrapped : Reflect.get(object, key, receiver)) });
}

function sameShape(found: readonly number[], expected: readonly number[]): boolean {
  return found.length === expected.length && found.every((size, axis) => size === expected[axis]);
}
