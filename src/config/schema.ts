/**
 * The schema of a run config: the core's own sections, with plugin slots where a plugin block
 * goes. `composeEditorSchema` expands every slot into the registered plugins' schemas, for
 * `attnlab schema` and editors (yaml-language-server).
 */
import { SLOT_KEYWORD, type PluginKind } from '../plugin-api.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { BACKEND_CHOICES } from '../nn/backend.js';

export type JsonSchema = Record<string, unknown>;

/** The thread counts `train.threads` and the `--threads` flag accept. */
export const THREAD_LIMITS = { minimum: 1, maximum: 256 } as const;

/**
 * A property holding a plugin block of `kind`, defaulting to `defaultType` when absent or given
 * without a `type`. Its params are checked by the validator against the named plugin, not by this
 * schema. Typed as written, so that the config types derived from the schema see the block.
 */
function slot<K extends PluginKind>(kind: K, description: string): SlotSchema<K>;
function slot<K extends PluginKind, T extends string>(kind: K, description: string, defaultType: T): DefaultedSlotSchema<K, T>;
function slot(kind: PluginKind, description: string, defaultType?: string): SlotSchema<PluginKind> | DefaultedSlotSchema<PluginKind, string> {
  const typeProperty = { type: 'string', description: `Which ${kind} plugin (attnlab plugins ${kind})` } as const;
  // `required` is for the derived types: the validator reports a missing type itself, with the known plugins.
  if (defaultType === undefined) return { type: 'object', [SLOT_KEYWORD]: kind, description, properties: { type: typeProperty }, required: ['type'] };
  return {
    type: 'object',
    [SLOT_KEYWORD]: kind,
    description,
    properties: { type: { ...typeProperty, default: defaultType } },
    default: { type: defaultType },
  };
}

interface SlotSchema<K extends PluginKind> {
  readonly type: 'object';
  readonly [SLOT_KEYWORD]: K;
  readonly description: string;
  readonly properties: { readonly type: { readonly type: 'string'; readonly description: string } };
  readonly required: readonly ['type'];
}

/** The block's `type` defaults too, so that a resolved block always names its plugin. */
interface DefaultedSlotSchema<K extends PluginKind, T extends string> extends Omit<SlotSchema<K>, 'properties' | 'required'> {
  readonly properties: { readonly type: { readonly type: 'string'; readonly description: string; readonly default: T } };
  readonly default: { readonly type: T };
}

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: 'Run name in MLflow; defaults to the config file name.' },
    description: { type: 'string', description: 'Free text, recorded with the run as the param `description`.' },
    seed: { type: 'integer', minimum: 0, default: 0, description: 'Seed of every random choice: splits, initialisation, shuffling, dropout.' },
    backend: {
      enum: [...BACKEND_CHOICES],
      default: 'auto',
      description: 'Compute backend; auto takes the fastest that loads (tensorflow, then wasm, then cpu).',
    },
    plugins: {
      type: 'array',
      items: { type: 'string' },
      default: [],
      description: 'Your own plugin files (.ts or .js), relative to this config file.',
    },
    data: slot('dataset', 'The dataset.', 'imdb'),
    embeddings: slot('embeddings', 'Pretrained word vectors.', 'glove-6b-100d'),
    tokenizer: slot('tokenizer', 'How texts are cut into tokens, for training and for every text a trained run scores.', 'glove'),
    model: slot('model', 'The model: encoder, pooler, value transform and head.', 'classifier'),
    regularizers: {
      type: 'object',
      default: {},
      description: 'Named penalties added to the loss, e.g. entropy: { type: entropy, weight: 0.01 }.',
      additionalProperties: slot('regularizer', 'A penalty added to the loss.'),
    },
    train: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Training loop.',
      properties: {
        epochs: { type: 'integer', minimum: 1, maximum: 10000, default: 10, description: 'Passes over the training split.' },
        batch_size: { type: 'integer', minimum: 1, maximum: 65536, default: 64, description: 'Reviews per training batch.' },
        eval_batch_size: { type: 'integer', minimum: 1, maximum: 65536, default: 256, description: 'Most reviews per evaluation batch.' },
        eval_batch_tokens: {
          type: 'integer',
          minimum: 1,
          maximum: 16777216,
          default: 32768,
          description: 'Most token positions (reviews × the longest of them) per evaluation batch: reviews are scored sorted by length, short ones in larger batches, and small batches stay in the processor caches.',
        },
        max_length: { type: 'integer', minimum: 1, maximum: 100000, default: 400, description: 'Reviews are cut to this many tokens.' },
        bucket_by_length: { type: 'boolean', default: true, description: 'Batch reviews of similar length together to cut padding.' },
        lr: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.001, description: 'Learning rate.' },
        optimizer: slot('optimizer', 'The optimiser.', 'adam'),
        clip_norm: { type: 'number', minimum: 0, default: 5, description: 'Clip the global gradient norm to this value (0 turns it off).' },
        threads: {
          type: 'integer',
          ...THREAD_LIMITS,
          description: 'Threads the recurrent kernels split each batch over; default: all cores. 1 computes on the main thread alone (the results of more threads may differ in the last float digits).',
        },
        lr_decay: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'Multiply the learning rate by `factor` after `patience` epochs without a better validation accuracy (reduce on plateau).',
          properties: {
            factor: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Multiplier of the learning rate at each plateau; 1 turns decay off.' },
            patience: { type: 'integer', minimum: 1, default: 2, description: 'Epochs without a better validation accuracy before each decay.' },
            min_lr: { type: 'number', minimum: 0, default: 0, description: 'The learning rate never goes below this.' },
          },
        },
        patience: {
          type: 'integer',
          minimum: 0,
          default: 3,
          description: 'Stop after this many epochs without a better validation accuracy (0 turns early stopping off).',
        },
      },
    },
    report: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: "What the run's report (report.html, attention.html) measures on the test split.",
      properties: {
        faithfulness_reviews: {
          type: 'integer',
          minimum: 1,
          maximum: 100000,
          default: 200,
          description:
            'Test reviews the faithfulness checks (gradient × input, permutations) are measured on: the reviews shown, then a seeded random sample of the others. Each costs a backward pass and `permutations` forward passes.',
        },
        permutations: { type: 'integer', minimum: 1, maximum: 10000, default: 20, description: 'Random permutations of the attention per measured review.' },
      },
    },
    tracking: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Where runs are recorded (MLflow).',
      properties: {
        uri: { type: 'string', description: 'MLflow tracking URI: http(s)://… for a server, a folder or file: URI for a local store. Default: MLFLOW_TRACKING_URI, else ./runs.' },
        experiment: { type: 'string', description: 'MLflow experiment name. Default: MLFLOW_EXPERIMENT_NAME, else Default.' },
      },
    },
  },
} as const satisfies JsonSchema;

const extendsSchema = {
  description: 'Config file(s) this one builds on, relative to this file; deep merge, lists replace.',
  oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
} as const satisfies JsonSchema;

/** What a config file may say: the core schema and the `extends` that loading resolves. */
export const userConfigSchema = {
  ...configSchema,
  properties: { extends: extendsSchema, ...configSchema.properties },
} as const satisfies JsonSchema;

/**
 * The core schema as the validator applies it: the run's `name` is filled from the config file's
 * name before the check, so a resolved config always has one.
 */
export const resolvedConfigSchema = { ...configSchema, required: ['name'] } as const satisfies JsonSchema;

/** The whole config's JSON Schema with every slot expanded into its kind's plugins. */
export async function composeEditorSchema(registry: PluginRegistry): Promise<JsonSchema> {
  const definitions: Record<string, JsonSchema> = {};
  const expandKind = async (kind: PluginKind): Promise<void> => {
    if (definitions[kind]) return;
    definitions[kind] = {};
    const variants: JsonSchema[] = [];
    for (const entry of registry.list(kind)) {
      const plugin = await entry.load();
      const schema = plugin.schema as JsonSchema;
      const properties = await expandSlots((schema.properties ?? {}) as Record<string, JsonSchema>, expandKind);
      variants.push({
        if: { properties: { type: { const: entry.name } }, required: ['type'] },
        then: { ...schema, properties: { type: { const: entry.name }, ...properties }, additionalProperties: false },
      });
    }
    // No `required: ['type']`: extends and the schema defaults fill it in, as the CLI does.
    // Without a `type`, the block may be any of the kind's plugins: its keys are checked
    // against all of their params together.
    definitions[kind] = {
      type: 'object',
      properties: { type: pluginNameSchema(kind, registry.names(kind)) },
      allOf: [...variants, untypedBlock(variants), ...nearMisses(kind, registry.names(kind))],
    };
  };
  const core = structuredClone(userConfigSchema) as unknown as JsonSchema;
  core.properties = await expandSlots(core.properties as Record<string, JsonSchema>, expandKind);
  return { $schema: 'http://json-schema.org/draft-07/schema#', title: 'attnlab run config', ...core, definitions };
}

/** A known name completes; any other is accepted too (a config's own `plugins:` may add it). */
function pluginNameSchema(kind: PluginKind, names: readonly string[]): JsonSchema {
  return {
    description: `The ${kind} plugin (attnlab plugins ${kind}); your own plugins' names too.`,
    anyOf: [{ enum: [...names] }, { type: 'string' }],
  };
}

/** The keys a block without `type` may hold: any plugin's of the kind, each as that plugin types it. */
function untypedBlock(variants: readonly JsonSchema[]): JsonSchema {
  const byKey = new Map<string, JsonSchema[]>();
  for (const variant of variants) {
    for (const [key, property] of Object.entries(((variant.then as JsonSchema).properties ?? {}) as Record<string, JsonSchema>)) {
      if (key === 'type') continue;
      const seen = byKey.get(key) ?? [];
      if (!seen.some((other) => JSON.stringify(other) === JSON.stringify(property))) seen.push(property);
      byKey.set(key, seen);
    }
  }
  const properties = Object.fromEntries([...byKey].map(([key, schemas]) => [key, schemas.length === 1 ? schemas[0] : { anyOf: schemas }]));
  return { if: { not: { required: ['type'] } }, then: { properties: { type: {}, ...properties }, additionalProperties: false } };
}

/** Regex alternatives for every string one edit (or one swap of neighbours) away from `name`. */
function oneEditAway(name: string): string {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const variants = new Set<string>();
  for (let i = 0; i <= name.length; i++) {
    const [head, tail] = [escape(name.slice(0, i)), escape(name.slice(i + 1))];
    if (i < name.length) variants.add(`${head}.${tail}`).add(`${head}${tail}`);
    variants.add(`${escape(name.slice(0, i))}.${escape(name.slice(i))}`);
    if (i < name.length - 1) variants.add(`${escape(name.slice(0, i))}${escape(name[i + 1])}${escape(name[i])}${escape(name.slice(i + 2))}`);
  }
  return `^(?:${[...variants].join('|')})$`;
}

/**
 * A plugin name one typo away from a known one is answered, as the CLI answers it, with the
 * closest name: yaml-language-server shows a failing schema's `errorMessage`.
 */
function nearMisses(kind: PluginKind, names: readonly string[]): JsonSchema[] {
  return names.map((name) => ({
    if: { properties: { type: { type: 'string', not: { enum: [...names] }, pattern: oneEditAway(name) } }, required: ['type'] },
    then: { properties: { type: { const: name, errorMessage: `unknown ${kind}; did you mean "${name}"?` } } },
  }));
}


async function expandSlots(
  properties: Record<string, JsonSchema>,
  expandKind: (kind: PluginKind) => Promise<void>,
): Promise<Record<string, JsonSchema>> {
  const expanded: Record<string, JsonSchema> = {};
  for (const [key, property] of Object.entries(properties)) {
    expanded[key] = await expandProperty(property, expandKind);
  }
  return expanded;
}

async function expandProperty(property: JsonSchema, expandKind: (kind: PluginKind) => Promise<void>): Promise<JsonSchema> {
  const kind = property[SLOT_KEYWORD] as PluginKind | undefined;
  if (kind) {
    await expandKind(kind);
    const { [SLOT_KEYWORD]: _kind, properties: _properties, required: _required, type: _type, ...annotations } = property;
    return { ...annotations, $ref: `#/definitions/${kind}` };
  }
  const result: JsonSchema = { ...property };
  if (property.properties) result.properties = await expandSlots(property.properties as Record<string, JsonSchema>, expandKind);
  if (typeof property.additionalProperties === 'object') {
    result.additionalProperties = await expandProperty(property.additionalProperties as JsonSchema, expandKind);
  }
  return result;
}
