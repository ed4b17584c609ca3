/**
 * The sweep file's schema for editors: the sweep keys themselves, and under `set:`, `grid:` and
 * `zip:` every dotted config key with the config schema's own type (a list of them on the
 * axes), so that yaml-language-server completes and checks them; `metric` completes from the
 * metrics runs log. The CLI checks sweep files with the plain sweep schema and the trials'
 * configs with the config's.
 */
import type { JsonSchema } from '../config/schema.js';
import { RANKABLE_METRICS } from '../sweep/plan.js';
import { schemaLeaves } from './completion.js';

/** Regularizers are named by the user: any name is accepted under `regularizers.`. */
const OPEN_KEYS = { '^regularizers\\.[^.]+(\\..+)?$': {} };

export function composeSweepEditorSchema(sweepSchema: JsonSchema, configEditorSchema: JsonSchema): JsonSchema {
  const leaves = schemaLeaves(configEditorSchema);
  const single = Object.fromEntries(leaves);
  const lists = Object.fromEntries([...leaves].map(([key, schema]) => [key, { type: 'array', minItems: 1, items: schema, description: `Values of ${key}, one per trial.` }]));
  const properties = sweepSchema.properties as Record<string, JsonSchema>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'attnlab sweep file',
    ...sweepSchema,
    properties: {
      ...properties,
      set: { ...properties.set, properties: single, patternProperties: OPEN_KEYS, additionalProperties: false },
      grid: { ...properties.grid, properties: lists, patternProperties: OPEN_KEYS, additionalProperties: false },
      zip: {
        ...properties.zip,
        items: { type: 'object', minProperties: 1, properties: lists, patternProperties: OPEN_KEYS, additionalProperties: false },
      },
      metric: { ...properties.metric, anyOf: [{ enum: [...RANKABLE_METRICS] }, { type: 'string' }] },
    },
    definitions: configEditorSchema.definitions,
  };
}
