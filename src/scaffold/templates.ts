/**
 * The files `attnlab new plugin` writes: for each kind, a commented, typed plugin that works as
 * generated, and its test: a row of the PluginTester table of its kind (schema, container build,
 * a forward pass against a hand computation, padding, gradients, no leaked tensor).
 */
import type { PluginKind } from '../plugin-api.js';
import { configSnippet } from './slots.js';

/** What differs from kind to kind; `NAME` in any part stands for the plugin's name. */
interface KindTemplate {
  /** One line after the plugin's name in the file's header. */
  readonly summary: string;
  readonly description: string;
  /** Types imported from attnlab's plugin-api besides PluginDescriptor. */
  readonly apiTypes?: readonly string[];
  /** Lines between the imports and the schema (runtime imports of Node built-ins, type aliases). */
  readonly preamble?: string;
  readonly schemaProperties: string;
  readonly required?: readonly string[];
  /** The `create` method, indented by two spaces. */
  readonly create: string;
  /** Code after the descriptor (helpers). */
  readonly helpers?: string;
  /** Lines of the test file before its table (imports, fixtures). */
  readonly setup?: string;
  /** The plugin's row in its PluginTester table, after `file:`, indented by four spaces. */
  readonly entry: string;
}

export interface TemplateImports {
  /** Module specifier of attnlab's `src/plugin-api.js` as seen from the new file. */
  readonly api: string;
  /** Module specifier of attnlab's `src/scaffold/plugin-tester.js` as seen from the new file. */
  readonly tester: string;
}

export function pluginSource(kind: PluginKind, name: string, imports: TemplateImports): string {
  const template = TEMPLATES[kind];
  const types = ['PluginDescriptor', ...(template.apiTypes ?? [])].sort().join(', ');
  const required = template.required ? `\n  required: [${template.required.map((key) => `'${key}'`).join(', ')}],` : '';
  const source = `/**
${wrapComment(`NAME: ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} plugin for attnlab. ${template.summary}`)}
 *
 * Use it from a run config next to this file:
${indentLines(configSnippet(kind, name, `./${name}.ts`), ' *   ')}
 * \`attnlab validate <config>\` checks the config, \`attnlab plugins ${kind} --plugin ./${name}.ts\`
 * lists the params, and \`attnlab schema --plugin ./${name}.ts > attnlab.schema.json\` lets an editor
 * complete them. The contract is attnlab's docs/plugins.md.
 *
 * This file imports only types from attnlab: tfjs and attnlab's tensor ops arrive through the
 * factory's context (ctx.tf, ctx.nn), so it runs wherever attnlab runs, with no build step.
 */
import type { ${types} } from '${imports.api}';
${template.preamble ? `${template.preamble}\n` : ''}
// The params, declared once: attnlab checks a config's block against this schema and fills in the
// defaults, and \`params\` in create() is typed from it. Every property needs a description.
const schema = {
  type: 'object',
  additionalProperties: false,${required}
  properties: {
${template.schemaProperties}
  },
} as const;

export default {
  kind: '${kind}',
  // The name a config's \`type:\` selects; it must not clash with a built-in (\`attnlab plugins\`).
  name: 'NAME',
  description: '${template.description}',
  schema,
${template.create}
} satisfies PluginDescriptor<'${kind}', typeof schema>;
${template.helpers ? `\n${template.helpers}` : ''}`;
  return source.replaceAll('NAME', name);
}

export function testSource(kind: PluginKind, name: string, imports: TemplateImports): string {
  const template = TEMPLATES[kind];
  const source = `/**
 * Tests of the NAME ${kind} plugin: a row of attnlab's PluginTester table, which runs the checks
 * every attnlab plugin gets (schema, container build, a forward pass against a hand computation,
 * padding, finite-difference gradients, no leaked tensor). Run them from this folder with
 * \`attnlab test NAME.test.ts\` (attnlab's own ava and tsx), type-check both files with
 * \`attnlab check NAME.ts NAME.test.ts\`.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { PluginTester } from '${imports.tester}';
${template.setup ? `${template.setup}` : ''}
const tester = new PluginTester(test);

// One row per case: add rows (other params, other inputs) as the plugin grows.
tester.run('${kind}', [
  {
    file: fileURLToPath(new URL('./NAME.ts', import.meta.url)),
${template.entry}
  },
]);
`;
  return source.replaceAll('NAME', name);
}

/** `text` as comment lines of at most ~100 characters. */
function wrapComment(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + word.length > 96) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line].map((each) => ` * ${each}`).join('\n');
}

function indentLines(text: string, prefix: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

const TEMPLATES: Record<PluginKind, KindTemplate> = {
  tokenizer: {
    summary: 'Tokens are the runs of letters, marks and digits of any script; everything else separates them.',
    description: 'Runs of letters and digits of any script.',
    preamble: `\n/** A run of letters (with their combining marks) and digits, in any script. */\nconst WORD = /[\\p{L}\\p{M}\\p{N}]+/gu;`,
    schemaProperties: `    lowercase: { type: 'boolean', default: true, description: 'Lower-case the text first.' },
    min_length: { type: 'integer', minimum: 1, maximum: 100, default: 1, description: 'Shorter runs are dropped.' },`,
    create: `  create(params, { hashRange }) {
    return {
      // Each token goes to \`sink\` as a range of a source string (here the lower-cased text) with its
      // hash, so that attnlab interns it without slicing a string per occurrence. The same params must
      // always give the same tokens: a worker thread builds its own copy of this tokenizer.
      forEachToken(text, sink) {
        const source = params.lowercase ? text.toLowerCase() : text;
        for (const match of source.matchAll(WORD)) {
          if (match[0].length < params.min_length) continue;
          const end = match.index + match[0].length;
          sink(source, match.index, end, hashRange(source, match.index, end));
        }
      },
    };
  },`,
    entry: `    build: { yaml: '{ type: NAME, min_length: 2 }', context: {} },
    // "2" is one character: dropped; punctuation and the dash separate tokens.
    forward: { text: 'Le Café, 2 fois — très bien!', expected: ['le', 'café', 'fois', 'très', 'bien'] },`,
  },
  pooler: {
    summary: 'Scaled dot-product attention with one learned query q: weight_i = softmax_i(q·h_i / (temperature·√dim)) over the real tokens.',
    description: 'Scaled dot-product attention with one learned query.',
    schemaProperties: `    temperature: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Scores are divided by temperature × √dim; above 1 spreads the attention.' },`,
    create: `  create(params, { tf, nn, inputDim, seed }) {
    // Variables come from ctx.nn so that they are seeded from the run's seed; names must be unique in the model.
    const query = nn.glorot('NAME/query', [inputDim, 1], seed);
    const scale = 1 / (params.temperature * Math.sqrt(inputDim));
    return {
      variables: [query],
      // h [batch, time, dim], mask [batch, time] (1 = real token, 0 = padding) → weights [batch, time],
      // exactly 0 on padding, each row summing to 1. maskedSoftmax takes care of both.
      attend(h, mask) {
        return nn.maskedSoftmax(tf.squeeze(nn.dense(h, tf.mul(query, scale)), [2]), mask);
      },
    };
  },`,
    entry: `    build: { yaml: '{ type: NAME, temperature: 2 }', context: { inputDim: 2 } },
    forward: {
      // Two real tokens, (1, 0) and (0, 1), then one padding position.
      h: [[[1, 0], [0, 1], [5, 5]]],
      mask: [[1, 1, 0]],
      expected: ([query]) => {
        const scale = 1 / (2 * Math.sqrt(2));
        const [e0, e1] = [Math.exp(query[0] * scale), Math.exp(query[1] * scale)];
        return [[e0 / (e0 + e1), e1 / (e0 + e1), 0]];
      },
    },`,
  },
  encoder: {
    summary: 'Maps each token on its own: tanh(W·x_i + b), padding kept at 0.',
    description: 'Position-wise tanh layer over the token representations.',
    apiTypes: ['Tf'],
    preamble: `\n/** tfjs's tensor types, named through attnlab's \`Tf\` so that this file needs no tfjs import. */\ntype Tensor1D = ReturnType<Tf['tensor1d']>;\ntype Tensor2D = ReturnType<Tf['tensor2d']>;`,
    schemaProperties: `    units: { type: 'integer', minimum: 1, maximum: 4096, default: 32, description: 'Size of each token’s new representation.' },`,
    create: `  // The output size, from the params: attnlab checks the model's chain of sizes before any tensor exists.
  outputDim: (params) => params.units,
  create(params, { tf, nn, inputDim, seed }) {
    const kernel = nn.glorot('NAME/kernel', [inputDim, params.units], seed);
    const bias = nn.zeros('NAME/bias', [params.units]);
    return {
      outputDim: params.units,
      variables: [kernel, bias],
      // x [batch, time, inputDim], mask [batch, time] → [batch, time, outputDim].
      apply(x, mask) {
        const projected = tf.tanh(nn.dense(x, kernel as Tensor2D, bias as Tensor1D));
        // tanh(b) ≠ 0 on padding: zero it, so padded positions stay inert for the layers after.
        return tf.mul(projected, tf.expandDims(mask, 2));
      },
    };
  },`,
    entry: `    build: { yaml: '{ type: NAME, units: 1 }', context: { inputDim: 2 } },
    // One real token (1, 2), then padding, which stays 0.
    forward: { x: [[[1, 2], [3, 4]]], mask: [[1, 0]], expected: ([kernel, bias]) => [[[Math.tanh(kernel[0] + 2 * kernel[1] + bias[0])], [0]]] },`,
  },
  value: {
    summary: 'The value transform v(h_i) = W·h_i that the attention weights average.',
    description: 'Linear value transform v(h) = W·h.',
    apiTypes: ['Tf'],
    preamble: `\n/** tfjs's 2-D tensor type, named through attnlab's \`Tf\` so that this file needs no tfjs import. */\ntype Tensor2D = ReturnType<Tf['tensor2d']>;`,
    schemaProperties: `    dim: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'Size of v(h_i).' },`,
    create: `  // The output size, from the params: attnlab checks the model's chain of sizes before any tensor exists.
  outputDim: (params) => params.dim,
  create(params, { nn, inputDim, seed }) {
    const kernel = nn.glorot('NAME/kernel', [inputDim, params.dim], seed);
    return {
      outputDim: params.dim,
      variables: [kernel],
      // h [batch, time, inputDim] → [batch, time, outputDim].
      apply: (h) => nn.dense(h, kernel as Tensor2D),
    };
  },`,
    entry: `    build: { yaml: '{ type: NAME, dim: 1 }', context: { inputDim: 2 } },
    forward: { h: [[[1, 2]]], expected: ([kernel]) => [[[kernel[0] + 2 * kernel[1]]]] },`,
  },
  head: {
    summary: 'A linear classifier on the pooled vector, logits = t·W + b, with optional dropout.',
    description: 'Linear classifier on the pooled vector, with dropout while training.',
    apiTypes: ['Tf'],
    preamble: `\n/** tfjs's tensor types, named through attnlab's \`Tf\` so that this file needs no tfjs import. */\ntype Tensor1D = ReturnType<Tf['tensor1d']>;\ntype Tensor2D = ReturnType<Tf['tensor2d']>;`,
    schemaProperties: `    dropout: { type: 'number', minimum: 0, maximum: 0.95, default: 0, description: 'Dropout on the pooled vector while training.' },`,
    create: `  create(params, { nn, inputDim, numClasses, seed }) {
    const kernel = nn.glorot('NAME/kernel', [inputDim, numClasses], seed);
    const bias = nn.zeros('NAME/bias', [numClasses]);
    return {
      variables: [kernel, bias],
      // t [batch, inputDim] → logits [batch, classes]; the loss applies the softmax.
      apply(t, training) {
        const input = training ? nn.dropout(t, params.dropout, seed) : t;
        return nn.dense(input, kernel as Tensor2D, bias as Tensor1D);
      },
    };
  },`,
    entry: `    build: { yaml: '{ type: NAME }', context: { inputDim: 2, numClasses: 1 } },
    forward: { t: [[1, 2]], expected: ([kernel, bias]) => [[kernel[0] + 2 * kernel[1] + bias[0]]] },`,
  },
  regularizer: {
    summary: 'Penalises concentrated attention: weight × mean over the batch of Σ_i a_i², which is 1 for attention on one token and 1/n when spread over n.',
    description: 'Concentration of the attention (Σ a_i²), added to the loss.',
    schemaProperties: `    weight: { type: 'number', default: 0.01, description: 'Adds weight × mean Σ_i a_i² to the loss; > 0 spreads the attention, < 0 focuses it.' },`,
    create: `  create(params, { tf }) {
    return {
      // output.attention is [batch, time], 0 on padding, so padding adds nothing.
      penalty: ({ attention }) => tf.mul(tf.mean(tf.sum(tf.square(attention), 1)), params.weight),
    };
  },`,
    entry: `    build: { yaml: '{ type: NAME, weight: 2 }', context: {} },
    // Σ a² is 1 for the first row, 0.5 for the second; their mean times the weight.
    forward: { attention: [[1, 0, 0], [0.5, 0.5, 0]], expected: () => (2 * (1 + 0.5)) / 2 },`,
  },
  optimizer: {
    summary: 'RMSProp: each step divides the gradient by a running root mean square of past gradients.',
    description: 'RMSProp optimiser.',
    schemaProperties: `    decay: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Decay of the running mean of squared gradients.' },
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Momentum of the updates.' },
    epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-7, description: 'Added under the square root, against division by zero.' },`,
    create: `  create(params, { tf, learningRate }) {
    // learningRate is the config's train.lr, given to every optimiser.
    return tf.train.rmsprop(learningRate, params.decay, params.momentum, params.epsilon);
  },`,
    entry: `    build: { yaml: '{ type: NAME, decay: 0.5, epsilon: 0.001 }', context: { learningRate: 0.1 } },
    // One step with gradient g: running mean square 0.5·g², update lr·g / √(0.5·g² + ε).
    forward: { start: [1, -2], gradient: [2, -4], expected: () => [[1, 2], [-2, -4]].map(([w, g]) => w - (0.1 * g) / Math.sqrt(0.5 * g * g + 0.001)) },`,
  },
  model: {
    summary: 'Attention pooling of the word embeddings, then a head plugin (both built from nested blocks with ctx.build).',
    description: 'Attention pooling of the word embeddings (the mean by default), then a classifier head.',
    apiTypes: ['Tf'],
    preamble: `\n/** tfjs's 2-D tensor type, named through attnlab's \`Tf\` so that this file needs no tfjs import. */\ntype Tensor2D = ReturnType<Tf['tensor2d']>;`,
    schemaProperties: `    pooler: {
      // A slot: the value is a plugin block \`{ type: <pooler plugin>, ...params }\`, checked against that plugin's schema.
      'x-plugin-kind': 'pooler',
      type: 'object',
      default: { type: 'mean' },
      description: 'Attention over the word embeddings (a pooler plugin block).',
    },
    head: {
      'x-plugin-kind': 'head',
      type: 'object',
      default: { type: 'linear' },
      description: 'Classifier on the pooled embedding (a head plugin block).',
    },`,
    create: `  async create(params, ctx) {
    const { tf, nn } = ctx;
    const [, dim] = ctx.embeddings.shape;
    // Nested blocks are built by the container, so any pooler and head plugin fits here. The
    // report sees inside the model through them and through nn.embed: its permutation test
    // replaces the attention of the poolers built with ctx.build, and gradient × input is taken
    // at what nn.embed returns; forward is all a model implements.
    const pooler = await ctx.build('pooler', params.pooler, { inputDim: dim });
    const head = await ctx.build('head', params.head, { inputDim: dim, numClasses: ctx.numClasses });
    return {
      variables: [...pooler.variables, ...head.variables],
      // ids [batch, time] int32 (0 = padding), mask [batch, time] → logits [batch, classes] and the attention used.
      forward(ids, mask, training) {
        const x = nn.embed(ids, ctx.embeddings);
        const weights = pooler.attend(x, mask, training);
        // A multi-head pooler's weights [batch, heads, time] are averaged into one attention.
        const attention = (weights.rank === 3 ? tf.mean(weights, 1) : weights) as Tensor2D;
        return { logits: head.apply(nn.weightedSum(attention, x), training), attention, mask };
      },
    };
  },`,
    entry: `    build: { yaml: '{ type: NAME }', context: (tf) => ({ embeddings: tf.tensor2d([[0, 0], [0, 0], [1, 2], [3, 4], [-1, 0.5], [2, -2]]), numClasses: 1 }) },
    // Tokens 2 and 3, then padding: the mean embedding is (2, 3).
    forward: { ids: [[2, 3, 0]], mask: [[1, 1, 0]], expected: ([kernel, bias]) => [[2 * kernel[0] + 3 * kernel[1] + bias[0]]] },`,
  },
  dataset: {
    summary: 'Labelled texts from a file of `label<TAB>text` lines, split into train, validation and test by the run’s seed.',
    description: 'Labelled texts from a file of label<TAB>text lines.',
    preamble: `// Node's built-ins are fine to import at run time; tfjs and attnlab are not (they come through ctx).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';`,
    required: ['path'],
    schemaProperties: `    path: { type: 'string', description: 'File of label<TAB>text lines, UTF-8, relative to the config file.' },
    validation_fraction: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.1, description: 'Share of the texts held out for validation.' },
    test_fraction: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.2, description: 'Share of the texts held out for the final test.' },`,
    create: `  create(params, { configDir, seed }) {
    const file = resolve(configDir, params.path);
    return {
      async load() {
        const rows = parseRows(await readFile(file, 'utf8'), file);
        const labels = [...new Set(rows.map((row) => row.label))].sort();
        const examples = shuffle(
          rows.map((row, index) => ({ id: String(index + 1), text: row.text, label: labels.indexOf(row.label) })),
          seed,
        );
        const testSize = Math.round(examples.length * params.test_fraction);
        const validationEnd = testSize + Math.round(examples.length * params.validation_fraction);
        return {
          labels,
          test: examples.slice(0, testSize),
          validation: examples.slice(testSize, validationEnd),
          train: examples.slice(validationEnd),
        };
      },
    };
  },`,
    helpers: `function parseRows(content: string, file: string): { label: string; text: string }[] {
  return content
    .split('\\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => {
      const tab = line.indexOf('\\t');
      if (tab <= 0) throw new Error(\`\${file}:\${number}: expected "label<TAB>text"\`);
      return { label: line.slice(0, tab), text: line.slice(tab + 1) };
    });
}

/** Fisher–Yates with a small seeded generator (mulberry32): a seed always gives the same split. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
`,
    setup: `import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const silent = { start: () => ({ tick() {}, status() {}, done() {} }) };
const folder = mkdtempSync(join(tmpdir(), 'NAME-'));
writeFileSync(join(folder, 'texts.tsv'), Array.from({ length: 10 }, (_, i) => \`\${i % 2 ? 'pos' : 'neg'}\\ttext \${i}\\n\`).join(''));
`,
    entry: `    given: { path: 'texts.tsv' },
    build: { yaml: '{ type: NAME, path: texts.tsv, validation_fraction: 0.2, test_fraction: 0.3 }', context: { cacheDir: tmpdir(), progress: silent, configDir: folder } },
    forward: {
      async check(t, dataset) {
        const corpus = await dataset.load();
        t.deepEqual(corpus.labels, ['neg', 'pos']);
        t.deepEqual([corpus.train.length, corpus.validation.length, corpus.test.length], [5, 2, 3]);
        const all = [...corpus.train, ...corpus.validation, ...corpus.test];
        t.true(all.every((example) => corpus.labels[example.label] === (Number(example.text.split(' ')[1]) % 2 ? 'pos' : 'neg')));
      },
    },`,
  },
  embeddings: {
    summary: 'Word vectors from a text file in the GloVe/word2vec format: one `token v1 v2 … vd` line per token.',
    description: 'Word vectors from a GloVe-format text file.',
    preamble: `// Node's built-ins are fine to import at run time; tfjs and attnlab are not (they come through ctx).
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';`,
    required: ['path'],
    schemaProperties: `    path: { type: 'string', description: 'Text file of "token v1 … vd" lines, relative to the config file.' },
    trainable: { type: 'boolean', default: false, description: 'Let the model fine-tune the vectors.' },`,
    create: `  create(params, { configDir }) {
    const file = resolve(configDir, params.path);
    const { size, mtimeMs } = statSync(file);
    return {
      // Keys attnlab's binary cache of the vectors: it must change whenever the vectors do.
      sourceId: \`\${file}:\${size}:\${mtimeMs}\`,
      trainable: params.trainable,
      async load() {
        const lines = (await readFile(file, 'utf8')).split('\\n').filter((line) => line.trim() !== '');
        const dim = lines[0].trim().split(' ').length - 1;
        const vectors = new Float32Array(lines.length * dim);
        const rows = new Map<string, number>();
        lines.forEach((line, row) => {
          const [token, ...values] = line.trim().split(' ');
          rows.set(token, row);
          values.forEach((value, column) => (vectors[row * dim + column] = Number(value)));
        });
        return { dim, size: lines.length, vectors, indexOf: (token) => rows.get(token) ?? -1 };
      },
    };
  },`,
    setup: `import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const silent = { start: () => ({ tick() {}, status() {}, done() {} }) };
const folder = mkdtempSync(join(tmpdir(), 'NAME-'));
writeFileSync(join(folder, 'vectors.txt'), 'good 1 2\\nbad -1 0.5\\n');
`,
    entry: `    given: { path: 'vectors.txt' },
    build: { yaml: '{ type: NAME, path: vectors.txt }', context: { cacheDir: tmpdir(), progress: silent, configDir: folder } },
    forward: {
      async check(t, embeddings) {
        const table = await embeddings.load();
        t.is(table.dim, 2);
        t.is(table.indexOf('unknown'), -1);
        const bad = table.indexOf('bad');
        t.deepEqual(Array.from(table.vectors.slice(bad * 2, bad * 2 + 2)), [-1, 0.5]);
      },
    },`,
  },
};
