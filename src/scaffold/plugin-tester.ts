/**
 * `PluginTester`: the checks every attnlab plugin gets, run from one table per plugin kind (as
 * ESLint's RuleTester runs a rule from its `valid`/`invalid` tables). attnlab's built-ins and a
 * user's plugins (`attnlab new plugin` writes a table entry) go through the same checks:
 *
 * - the schema accepts its defaults and rejects an unknown key;
 * - the plugin builds through the container from a YAML block;
 * - a forward pass on a tiny input matches the entry's hand (float64) computation;
 * - padding changes nothing (poolers, encoders, models): neither its values nor its length;
 * - gradients of every variable match central finite differences (custom ops included);
 * - a training step leaves no tensor behind (`tf.memory().numTensors` before and after).
 *
 * The tester registers tests with the `test` function it is given (ava's), so it imports no test
 * runner itself.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { ExecutionContext } from 'ava';
import { SLOT_KEYWORD, type Created, type ExtraContext, type ForwardOutput, type PluginKind, type Tf } from '../plugin-api.js';
import { hashRange } from '../data/token-hash.js';
import { loadPluginKit, type PluginKit } from './plugin-kit.js';
import type { ModelProbe } from '../run/model-probe.js';

/** Numbers as nested arrays: [batch][time][dim] and the like. */
export type Numbers1 = readonly number[];
export type Numbers2 = readonly Numbers1[];
export type Numbers3 = readonly Numbers2[];

/** The plugin's variables, in its `variables` order, as float64 arrays (row-major). */
export type VariableValues = readonly Float64Array[];

/** A forward pass of each kind: the input, and the hand computation it must match. */
export interface ForwardOf {
  pooler: { readonly h: Numbers3; readonly mask: Numbers2; expected(variables: VariableValues): Numbers2 | Numbers3 };
  encoder: { readonly x: Numbers3; readonly mask: Numbers2; expected(variables: VariableValues): Numbers3 };
  value: { readonly h: Numbers3; expected(variables: VariableValues): Numbers3 };
  head: { readonly t: Numbers2; expected(variables: VariableValues): Numbers2 };
  model: { readonly ids: Numbers2; readonly mask: Numbers2; expected(variables: VariableValues): Numbers2 };
  regularizer: {
    readonly attention: Numbers2;
    /** Variables the penalty sees, by name. */
    readonly variables?: Readonly<Record<string, Numbers1>>;
    expected(): number;
  };
  /** One update of a variable `start` with gradient `gradient`: the values after it. */
  optimizer: { readonly start: Numbers1; readonly gradient: Numbers1; readonly steps?: number; expected(): Numbers1 };
  /** What a loaded dataset or embeddings table must satisfy; throw (or use `t`) when not. */
  dataset: { check(t: ExecutionContext, created: Created['dataset']): Promise<void> | void };
  embeddings: { check(t: ExecutionContext, created: Created['embeddings']): Promise<void> | void };
  /** A text and its tokens, written by hand; each token must come with its `hashRange`. */
  tokenizer: { readonly text: string; readonly expected: readonly string[] };
}

/** One plugin's row in its kind's table. */
export interface PluginCase<K extends PluginKind> {
  /** The plugin file (.ts or .js). */
  readonly file: string;
  /** Params a block needs beside `type` (e.g. a required path); `{}` when none. */
  readonly given?: Readonly<Record<string, unknown>>;
  /**
   * What `{ type: <name>, ...given }` resolves to. When absent: `given` with every `default` of
   * the schema's properties (a nested plugin block's default must at least keep its `type`).
   */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** A YAML block and the context the factory gets with it (e.g. `{ inputDim: 3 }`), or a function of tf giving it. */
  readonly build: {
    readonly yaml: string;
    readonly context: ExtraContext[K] | ((tf: Tf) => ExtraContext[K]);
    /** The factory's refusal when building needs what a test cannot have (e.g. a download). */
    readonly rejects?: RegExp;
  };
  /** A forward pass on a tiny input, built from `build` unless `yaml` says otherwise. */
  readonly forward?: ForwardOf[K] & { readonly yaml?: string; readonly tolerance?: number };
  /** Skips the finite-difference check (e.g. a plugin whose output is piecewise constant). */
  readonly skipGradients?: boolean;
}

/** The `test` function the tester registers with: ava's default export. */
export interface TestFunction {
  (title: string, implementation: (t: ExecutionContext) => Promise<void> | void): void;
  serial(title: string, implementation: (t: ExecutionContext) => Promise<void> | void): void;
}

/** Pseudo-random numbers in [-scale, scale), reproducible from `seed`. */
function pseudoRandom(length: number, seed: number, scale = 1): number[] {
  let state = seed >>> 0 || 1;
  return Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** Worst relative difference of two nested arrays (denominator at least 1), or Infinity on a shape mismatch. */
export function worstDifference(found: unknown, expected: unknown): number {
  if (typeof found === 'number' && typeof expected === 'number') return Math.abs(found - expected) / Math.max(1, Math.abs(expected));
  if (!Array.isArray(found) || !Array.isArray(expected) || found.length !== expected.length) return Number.POSITIVE_INFINITY;
  return found.reduce<number>((worst, value, index) => Math.max(worst, worstDifference(value, expected[index])), 0);
}

const TRAINABLE = new Set<PluginKind>(['pooler', 'encoder', 'value', 'head', 'model']);

export class PluginTester {
  /** The plugin files of every case run so far, by kind. */
  readonly files: { readonly kind: PluginKind; readonly file: string }[] = [];

  constructor(private readonly test: TestFunction) {}

  /** Registers the checks of every case of `kind`. */
  run<K extends PluginKind>(kind: K, cases: readonly PluginCase<K>[]): void {
    for (const entry of cases) {
      this.files.push({ kind, file: entry.file });
      this.runCase(kind, entry);
    }
  }

  private runCase<K extends PluginKind>(kind: K, entry: PluginCase<K>): void {
    const name = entry.file.split(/[\\/]/).pop()?.replace(/\.[mc]?[jt]s$/, '') ?? entry.file;
    const label = `${kind} ${name}`;
    let loaded: Promise<PluginKit<K>> | undefined;
    const kit = async () => {
      const loadedKit = await (loaded ??= loadPluginKit(kind, entry.file));
      const context = typeof entry.build.context === 'function' ? entry.build.context(loadedKit.tf) : entry.build.context;
      return { ...loadedKit, context, build: (yaml: string) => loadedKit.build(yaml, context) };
    };
    // Tests build tfjs variables, named process-wide: run them one after the other.
    const test = this.test.serial.bind(this.test);

    test(`${label}: the schema accepts the defaults and rejects an unknown key`, async (t) => {
      const { params, plugin } = await kit();
      const resolved = await params(entry.given ?? {});
      const properties = Object.keys((plugin.schema as { properties?: object }).properties ?? {});
      if (entry.defaults) t.deepEqual(resolved, entry.defaults);
      else t.deepEqual(resolved, { ...declaredDefaults(plugin.schema, resolved), ...entry.given });
      const unknown = `${properties[0] ?? 'param'}_unknown`;
      await t.throwsAsync(params({ ...entry.given, [unknown]: 1 }), { message: new RegExp(`unknown key "${unknown}"`) });
    });

    test(`${label}: it builds through the container from a YAML block`, async (t) => {
      const { build } = await kit();
      if (entry.build.rejects) {
        await t.throwsAsync(build(entry.build.yaml), { message: entry.build.rejects });
        return;
      }
      const created = await build(entry.build.yaml);
      t.truthy(created);
      for (const variable of (created as { variables?: readonly tfjs.Variable[] }).variables ?? []) t.true(variable.trainable, variable.name);
    });

    const forward = entry.forward;
    if (forward) {
      test(`${label}: a forward pass on a tiny input matches a hand computation`, async (t) => {
        const { build, tf } = await kit();
        const created = await build(forward.yaml ?? entry.build.yaml);
        await checkForward(t, tf, kind, created, forward);
      });
    }

    if (kind === 'pooler' || kind === 'encoder' || kind === 'model') {
      test(`${label}: padding changes nothing, neither its values nor its length`, async (t) => {
        const { build, tf, context } = await kit();
        checkPadding(t, tf, kind, await build(entry.build.yaml), context);
      });
    }

    if (kind === 'model') {
      test(`${label}: the report sees inside it: the input gradient and a replaced attention`, async (t) => {
        const { build, tf, probe } = await kit();
        checkProbed(t, tf, probe, (await build(entry.build.yaml)) as Created['model']);
      });
    }

    if (TRAINABLE.has(kind) && !entry.skipGradients) {
      test(`${label}: gradients match central finite differences`, async (t) => {
        const { build, tf, context } = await kit();
        const created = (await build(entry.build.yaml)) as Created['pooler'];
        if (created.variables.length === 0) {
          t.pass('no variables');
          return;
        }
        const loss = lossOf(tf, kind, created, context);
        checkGradients(t, tf, created.variables, loss);
      });
    }

    if (TRAINABLE.has(kind) || kind === 'regularizer') {
      test(`${label}: a training step leaves no tensor behind`, async (t) => {
        const { build, tf, context } = await kit();
        const created = await build(entry.build.yaml);
        const step = kind === 'regularizer' ? regularizerLoss(tf, created as Created['regularizer']) : lossOf(tf, kind, created, context);
        const variables = kind === 'regularizer' ? [] : (created as Created['pooler']).variables;
        const optimizer = tf.train.sgd(0.01);
        const trainStep = () =>
          tf.tidy(() => {
            if (variables.length === 0) {
              step().dataSync();
              return;
            }
            const { value, grads } = tf.variableGrads(step, [...variables]);
            optimizer.applyGradients(grads);
            value.dataSync();
          });
        trainStep();
        const before = tf.memory().numTensors;
        trainStep();
        trainStep();
        t.is(tf.memory().numTensors, before, 'live tensors after two more steps');
        optimizer.dispose();
      });
    }
  }
}

/**
 * The schema's declared defaults; a nested plugin block (`x-plugin-kind`) keeps what it resolved
 * to when its `type` is the declared one (the nested plugin fills the rest).
 */
function declaredDefaults(schema: unknown, resolved: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const properties = (schema as { properties?: Record<string, { default?: unknown; [SLOT_KEYWORD]?: unknown }> }).properties ?? {};
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) {
    if (!('default' in property)) continue;
    const declared = property.default as { type?: unknown } | undefined;
    const found = resolved[key] as { type?: unknown } | undefined;
    defaults[key] = property[SLOT_KEYWORD] !== undefined && declared?.type !== undefined && found?.type === declared.type ? found : declared;
  }
  return defaults;
}

/** A fixed input of the kind's shape, for gradient and leak checks. */
function sampleInput(tf: Tf, kind: PluginKind, context: object): { run(created: unknown, training: boolean): tfjs.Tensor } {
  const inputDim = (context as { inputDim?: number }).inputDim ?? 3;
  const [batch, time] = [2, 4];
  const mask = () => tf.tensor2d([[1, 1, 1, 0], [1, 1, 0, 0]]);
  const h = () => tf.tensor3d(pseudoRandom(batch * time * inputDim, 3), [batch, time, inputDim]);
  switch (kind) {
    case 'pooler':
      return { run: (created, training) => (created as Created['pooler']).attend(h(), mask(), training) };
    case 'encoder':
      return { run: (created, training) => tf.mul((created as Created['encoder']).apply(h(), mask(), training), tf.expandDims(mask(), 2)) };
    case 'value':
      return { run: (created, training) => (created as Created['value']).apply(h(), training) };
    case 'head':
      return { run: (created, training) => (created as Created['head']).apply(tf.tensor2d(pseudoRandom(batch * inputDim, 4), [batch, inputDim]), training) };
    case 'model':
      return { run: (created) => (created as Created['model']).forward(tf.tensor2d([[2, 3, 4, 0], [5, 2, 0, 0]], [2, 4], 'int32'), mask(), false).logits };
    default:
      throw new Error(`no sample input for ${kind}`);
  }
}

/** Σ output ⊙ fixed pseudo-random weights: a scalar whose gradient reaches every output. */
function lossOf(tf: Tf, kind: PluginKind, created: unknown, context: object): () => tfjs.Scalar {
  const input = sampleInput(tf, kind, context);
  return () => {
    // Deterministic (not training): dropout would make finite differences meaningless.
    const output = input.run(created, false);
    const weights = tf.tensor(pseudoRandom(output.size, 7), output.shape);
    return tf.sum(tf.mul(output, weights)) as tfjs.Scalar;
  };
}

function regularizerLoss(tf: Tf, created: Created['regularizer']): () => tfjs.Scalar {
  return () => {
    const attention = tf.tensor2d([[0.5, 0.25, 0.25, 0], [0.9, 0.1, 0, 0]]);
    const output: ForwardOutput = { logits: tf.zeros([2, 2]), attention, mask: tf.tensor2d([[1, 1, 1, 0], [1, 1, 0, 0]]) };
    return created.penalty(output, []);
  };
}

/** Analytic gradients against central differences in float32, on a few entries of each variable. */
function checkGradients(t: ExecutionContext, tf: Tf, variables: readonly tfjs.Variable[], loss: () => tfjs.Scalar): void {
  const { grads } = tf.variableGrads(loss, [...variables]);
  const step = 1e-2;
  for (const variable of variables) {
    const analytic = grads[variable.name].dataSync();
    const values = variable.dataSync().slice();
    const entries = Math.min(values.length, 6);
    for (let index = 0; index < entries; index++) {
      const at = (value: number) => {
        const changed = values.slice();
        changed[index] = value;
        variable.assign(tf.tensor(changed, variable.shape, variable.dtype));
        return tf.tidy(() => loss().dataSync()[0]);
      };
      const numeric = (at(values[index] + step) - at(values[index] - step)) / (2 * step);
      variable.assign(tf.tensor(values, variable.shape, variable.dtype));
      const difference = Math.abs(numeric - analytic[index]);
      t.true(difference <= 2e-3 + 2e-2 * Math.abs(numeric), `${variable.name}[${index}]: analytic ${analytic[index]}, numeric ${numeric}`);
    }
  }
  tf.dispose(Object.values(grads));
}

/** Appending padded positions (garbage values, mask 0) changes no output on the real tokens. */
/**
 * What the report needs of a model: its tokens embedded with `ctx.nn.embed`, where gradient ×
 * input is taken, and its attention from a pooler built with `ctx.build`, which the permutation
 * test replaces; both throw a model-not-probed error naming the fix when they are missing.
 */
function checkProbed(t: ExecutionContext, tf: Tf, probe: ModelProbe, model: Created['model']): void {
  const ids = tf.tensor2d([[2, 3, 4]], [1, 3], 'int32');
  const mask = tf.ones([1, 3]) as tfjs.Tensor2D;
  const { gradient } = probe.inputGradient(ids, () => model.forward(ids, mask, false), (_, taped) => tf.sum(taped.logits));
  t.deepEqual(gradient.shape.slice(0, 2), [1, 3]);
  t.true(gradient.dataSync().some((value) => value !== 0), 'the logits depend on the embedded input');
  const own = model.forward(ids, mask, false).logits.arraySync();
  const replaced = probe.withAttention(tf.tensor2d([[1, 0, 0]]), () => model.forward(ids, mask, false).logits).arraySync();
  t.notDeepEqual(replaced, own, 'the logits follow the replaced attention');
}

function checkPadding(t: ExecutionContext, tf: Tf, kind: PluginKind, created: unknown, context: object): void {
  const inputDim = (context as { inputDim?: number }).inputDim ?? 3;
  const real = pseudoRandom(2 * 3 * inputDim, 11);
  const mask = [[1, 1, 1], [1, 1, 0]];
  const padMask = mask.map((row) => [...row, 0, 0]);
  if (kind === 'model') {
    const model = created as Created['model'];
    const short = model.forward(tf.tensor2d([[2, 3, 4], [5, 2, 0]], [2, 3], 'int32'), tf.tensor2d(mask), false).logits.arraySync();
    const long = model.forward(tf.tensor2d([[2, 3, 4, 0, 0], [5, 2, 0, 0, 0]], [2, 5], 'int32'), tf.tensor2d(padMask), false).logits.arraySync();
    t.true(worstDifference(long, short) < 1e-5, `logits ${JSON.stringify(long)} vs ${JSON.stringify(short)}`);
    return;
  }
  const rows: number[][][] = [0, 1].map((row) => [0, 1, 2].map((step) => real.slice((row * 3 + step) * inputDim, (row * 3 + step + 1) * inputDim)));
  const garbage = (seed: number) => pseudoRandom(inputDim, seed, 9);
  const padded = rows.map((row, index) => [...row, garbage(20 + index), garbage(30 + index)]);
  padded[1][2] = garbage(50);
  // Row 1's third position is padding in the short batch too: garbage there must not matter either.
  rows[1][2] = garbage(40);
  const apply = (x: number[][][], m: number[][]): unknown =>
    kind === 'pooler'
      ? (created as Created['pooler']).attend(tf.tensor3d(x), tf.tensor2d(m), false).arraySync()
      : (created as Created['encoder']).apply(tf.tensor3d(x), tf.tensor2d(m), false).arraySync();
  const short = apply(rows, mask) as number[][] | number[][][];
  const long = apply(padded, padMask) as number[][] | number[][][];
  // Weights [batch, (heads,) time] or states [batch, time, dim]: compare the real positions.
  const realOf = (values: unknown, row: number): unknown => {
    const r = (values as unknown[])[row];
    if (kind === 'encoder') return (r as unknown[]).slice(0, mask[row].reduce((a, b) => a + b, 0));
    const perHead = Array.isArray((r as unknown[])[0]) ? (r as number[][]) : [r as number[]];
    return perHead.map((head) => head.slice(0, 3).map((value, i) => (mask[row][i] ? value : 0)));
  };
  for (const row of [0, 1]) t.true(worstDifference(realOf(long, row), realOf(short, row)) < 1e-5, `row ${row}: ${JSON.stringify(long)} vs ${JSON.stringify(short)}`);
  if (kind === 'pooler') {
    const flat = JSON.stringify(long);
    const weights = (long as unknown[]).map((row) => (Array.isArray((row as unknown[])[0]) ? (row as number[][]) : [row as number[]]));
    weights.forEach((heads, row) =>
      heads.forEach((head) => {
        head.forEach((value, i) => {
          if (!padMask[row][i]) t.is(value, 0, `padding weight at row ${row}, position ${i}: ${flat}`);
        });
        t.true(Math.abs(head.reduce((a, b) => a + b, 0) - 1) < 1e-5, `row ${row} sums to 1: ${flat}`);
      }),
    );
  }
}

async function checkForward<K extends PluginKind>(t: ExecutionContext, tf: Tf, kind: K, created: Created[K], spec: ForwardOf[K] & { readonly tolerance?: number }): Promise<void> {
  const tolerance = spec.tolerance ?? 1e-5;
  const variablesOf = (module: { variables: readonly tfjs.Variable[] }): VariableValues => module.variables.map((variable) => Float64Array.from(variable.dataSync()));
  const compare = (found: unknown, expected: unknown) => t.true(worstDifference(found, expected) <= tolerance, `found ${JSON.stringify(found)}, expected ${JSON.stringify(expected)}`);
  switch (kind) {
    case 'pooler': {
      const pooler = created as Created['pooler'];
      const { h, mask, expected } = spec as ForwardOf['pooler'];
      compare(pooler.attend(tf.tensor3d(h as number[][][]), tf.tensor2d(mask as number[][]), false).arraySync(), expected(variablesOf(pooler)));
      return;
    }
    case 'encoder': {
      const encoder = created as Created['encoder'];
      const { x, mask, expected } = spec as ForwardOf['encoder'];
      compare(encoder.apply(tf.tensor3d(x as number[][][]), tf.tensor2d(mask as number[][]), false).arraySync(), expected(variablesOf(encoder)));
      return;
    }
    case 'value': {
      const value = created as Created['value'];
      const { h, expected } = spec as ForwardOf['value'];
      compare(value.apply(tf.tensor3d(h as number[][][]), false).arraySync(), expected(variablesOf(value)));
      return;
    }
    case 'head': {
      const head = created as Created['head'];
      const { t: input, expected } = spec as ForwardOf['head'];
      compare(head.apply(tf.tensor2d(input as number[][]), false).arraySync(), expected(variablesOf(head)));
      return;
    }
    case 'model': {
      const model = created as Created['model'];
      const { ids, mask, expected } = spec as ForwardOf['model'];
      compare(model.forward(tf.tensor2d(ids as number[][], undefined, 'int32'), tf.tensor2d(mask as number[][]), false).logits.arraySync(), expected(variablesOf(model)));
      return;
    }
    case 'regularizer': {
      const { attention, variables = {}, expected } = spec as ForwardOf['regularizer'];
      const named = Object.entries(variables).map(([name, values]) => tf.variable(tf.tensor1d(values as number[]), true, uniqueName(tf, name)));
      const weights = tf.tensor2d(attention as number[][]);
      const output: ForwardOutput = { logits: tf.zeros([attention.length, 2]), attention: weights, mask: tf.cast(tf.greater(weights, 0), 'float32') as tfjs.Tensor2D };
      try {
        compare((created as Created['regularizer']).penalty(output, named).dataSync()[0], expected());
      } finally {
        tf.dispose(named);
      }
      return;
    }
    case 'optimizer': {
      const { start, gradient, steps = 1, expected } = spec as ForwardOf['optimizer'];
      const variable = tf.variable(tf.tensor1d(start as number[]), true, uniqueName(tf, 'optimizer-test/w'));
      try {
        for (let step = 0; step < steps; step++) (created as Created['optimizer']).applyGradients({ [variable.name]: tf.tensor1d(gradient as number[]) });
        compare(Array.from(variable.dataSync()), expected());
      } finally {
        variable.dispose();
      }
      return;
    }
    case 'dataset':
      await (spec as ForwardOf['dataset']).check(t, created as Created['dataset']);
      return;
    case 'embeddings':
      await (spec as ForwardOf['embeddings']).check(t, created as Created['embeddings']);
      return;
    case 'tokenizer': {
      const { text, expected } = spec as ForwardOf['tokenizer'];
      const tokens: string[] = [];
      (created as Created['tokenizer']).forEachToken(text, (source, start, end, hash) => {
        const token = source.slice(start, end);
        tokens.push(token);
        // The interner keys its token map by this hash: a wrong one splits a token into several ids.
        t.is(hash, hashRange(token, 0, token.length), `the hash of "${token}"`);
      });
      t.deepEqual(tokens, expected);
      return;
    }
  }
}

function uniqueName(tf: Tf, name: string): string {
  const taken = tf.engine().registeredVariables;
  let candidate = name;
  for (let count = 1; candidate in taken; count++) candidate = `${name}_${count}`;
  return candidate;
}
