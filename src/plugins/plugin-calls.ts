/**
 * Attributes what goes wrong inside a plugin's code to the plugin: an exception thrown by one of
 * its methods becomes a PluginError naming the file, line and method (not attnlab's "internal
 * error"); a pooler's weight on a padded position is refused on its first call; and while a
 * {@link traceNonFinite} scope runs, the first component whose output is not finite is recorded,
 * so that a NaN loss is traced to the plugin that produced it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type * as tfjs from '@tensorflow/tfjs';
import { AttnlabError, PluginError } from '../errors.js';
import type { Created, PluginKind } from '../plugin-api.js';

/** The methods through which each kind's plugin code runs after `create`. */
const METHODS: Partial<Record<PluginKind, readonly string[]>> = {
  dataset: ['load'],
  embeddings: ['load'],
  model: ['forward'],
  encoder: ['apply'],
  pooler: ['attend'],
  value: ['apply'],
  head: ['apply'],
  regularizer: ['penalty'],
};

/** A component whose output held NaN or ±Infinity. */
export interface NonFiniteSource {
  readonly kind: PluginKind;
  readonly name: string;
  readonly file: string;
  readonly method: string;
}

const nonFiniteTrace = new AsyncLocalStorage<{ first?: NonFiniteSource }>();

/** Runs `run` checking every plugin method's output; returns the first that was not finite. */
export function traceNonFinite(run: () => void): NonFiniteSource | undefined {
  const trace: { first?: NonFiniteSource } = {};
  nonFiniteTrace.run(trace, run);
  return trace.first;
}

interface Component {
  readonly kind: PluginKind;
  readonly name: string;
  readonly file: string;
}

/** `created` with each of its kind's methods attributed to `file`. */
export function withPluginCalls<K extends PluginKind>(kind: K, name: string, created: Created[K], file: string): Created[K] {
  const methods = METHODS[kind];
  if (!methods || typeof created !== 'object' || created === null) return created;
  const component = { kind, name, file };
  const wrapped = new Map<PropertyKey, unknown>();
  for (const method of methods) {
    const original = (created as unknown as Record<string, unknown>)[method];
    if (typeof original === 'function') wrapped.set(method, attributed(component, method, original.bind(created) as (...args: unknown[]) => unknown));
  }
  // A proxy keeps the object's other members (variables, getters, its prototype) as they are.
  return new Proxy(created, { get: (object, key, receiver) => (wrapped.has(key) ? wrapped.get(key) : Reflect.get(object, key, receiver)) });
}

function attributed(component: Component, method: string, call: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  let firstCall = true;
  return (...args) => {
    let result: unknown;
    try {
      result = call(...args);
    } catch (error) {
      throw runtimeError(component, method, error);
    }
    if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(runtimeError(component, method, error)));
    if (firstCall && component.kind === 'pooler') checkPaddingWeights(component, result as tfjs.Tensor, args[1] as tfjs.Tensor);
    firstCall = false;
    const trace = nonFiniteTrace.getStore();
    if (trace && !trace.first && outputTensors(result).some(hasNonFinite)) trace.first = { ...component, method };
    return result;
  };
}

/** An error from the plugin's code, located at the first stack frame in its file. */
function runtimeError(component: Component, method: string, error: unknown): unknown {
  if (error instanceof AttnlabError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const at = locationIn(component.file, error);
  return new PluginError(
    'plugin-runtime',
    at ?? component.file,
    `${component.kind} "${component.name}" ${method}() threw: ${message}`,
    error,
  );
}

/** `file:line:column` of the first frame of `error`'s stack inside `file`, if any. */
export function locationIn(file: string, error: unknown): string | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  for (const line of stack.split('\n')) {
    const match = /(?:\(|\s)((?:file:\/\/)?[^\s()]+?)(?:\?[^:\s()]*)?:(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    const path = match[1].startsWith('file://') ? decodeURIComponent(new URL(match[1]).pathname) : match[1];
    if (path === file) return `${file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

/** Attention weights [batch, time] (or [batch, heads, time]) must be 0 wherever mask [batch, time] is 0. */
function checkPaddingWeights(component: Component, weights: tfjs.Tensor, mask: tfjs.Tensor | undefined): void {
  if (!mask || weights.shape.length < 2) return;
  const values = weights.dataSync();
  const padding = mask.dataSync();
  const time = mask.shape[1] ?? 0;
  const perRow = values.length / mask.shape[0]!;
  for (let index = 0; index < values.length; index++) {
    const row = Math.floor(index / perRow);
    const position = index % time;
    if (padding[row * time + position] === 0 && Math.abs(values[index]!) > 1e-6) {
      throw new PluginError(
        'plugin-padding-weight',
        component.file,
        `pooler "${component.name}" attend() put weight ${values[index]} on a padded position (example ${row}, token ${position}); weights must be exactly 0 where mask is 0 — ctx.nn.maskedSoftmax(scores, mask) gives that`,
      );
    }
  }
}

function outputTensors(result: unknown): tfjs.Tensor[] {
  if (isTensor(result)) return [result];
  if (typeof result === 'object' && result !== null) return Object.values(result).filter(isTensor);
  return [];
}

function isTensor(value: unknown): value is tfjs.Tensor {
  return typeof value === 'object' && value !== null && 'dataSync' in value && 'shape' in value;
}

function hasNonFinite(tensor: tfjs.Tensor): boolean {
  return tensor.dtype === 'float32' && (tensor.dataSync() as Float32Array).some((value) => !Number.isFinite(value));
}
