/**
 * The meta-check of a plugin's params schema, run when the plugin loads: every keyword is a real
 * JSON Schema keyword (a `minimun` or `defualt` would otherwise be ignored without a word), every
 * property says what it is for (`description`, shown by `attnlab plugins` and in editors), and
 * ajv in strict mode accepts the schema. Each refusal names the plugin file and what to fix.
 */
import { Ajv } from 'ajv';
import { closest, PluginError } from '../errors.js';
import { RENAMED_KEYWORD, SLOT_KEYWORD } from '../plugin-api.js';

/** The JSON Schema (draft-07) keywords ajv knows, and attnlab's own slot keyword. */
const KEYWORDS = [
  '$id', '$schema', '$ref', '$comment', 'definitions', '$defs',
  'type', 'enum', 'const', 'default', 'description', 'title', 'examples', 'readOnly', 'writeOnly', 'deprecated',
  'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'format',
  'items', 'additionalItems', 'maxItems', 'minItems', 'uniqueItems', 'contains',
  'maxProperties', 'minProperties', 'required', 'properties', 'patternProperties', 'additionalProperties', 'dependencies', 'propertyNames',
  'if', 'then', 'else', 'allOf', 'anyOf', 'oneOf', 'not',
  SLOT_KEYWORD,
  RENAMED_KEYWORD,
];
const KNOWN = new Set(KEYWORDS);
/** Keywords whose value is a map of names to subschemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']);
/** Keywords whose value is a subschema or an array of them. */
const SUBSCHEMAS = new Set(['items', 'additionalItems', 'contains', 'additionalProperties', 'propertyNames', 'if', 'then', 'else', 'not', 'allOf', 'anyOf', 'oneOf']);

const strictAjv = new Ajv({ strict: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true, useDefaults: true });
strictAjv.addKeyword({ keyword: SLOT_KEYWORD, schemaType: 'string' });
strictAjv.addKeyword({ keyword: RENAMED_KEYWORD, schemaType: 'string' });

/** Throws a PluginError (code `plugin-schema`) naming `file` when `schema` fails the meta-check. */
export function checkPluginSchema(schema: unknown, file: string): void {
  const fail = (message: string): never => {
    throw new PluginError('plugin-schema', file, message);
  };
  walk(schema, 'schema', fail, true);
  try {
    strictAjv.compile(schema as object);
  } catch (error) {
    fail(`the params schema is not a valid JSON Schema: ${(error as Error).message}`);
  }
}

function walk(schema: unknown, at: string, fail: (message: string) => never, isRoot = false): void {
  if (typeof schema === 'boolean') return;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) fail(`${at} must be a schema object, found ${JSON.stringify(schema)}`);
  const node = schema as Record<string, unknown>;
  for (const [keyword, value] of Object.entries(node)) {
    if (!KNOWN.has(keyword)) {
      const suggestion = closest(keyword, KEYWORDS);
      fail(`${at}: unknown schema keyword "${keyword}"${suggestion ? ` — did you mean "${suggestion}"?` : ''}`);
    }
    if (SCHEMA_MAPS.has(keyword) && typeof value === 'object' && value !== null) {
      for (const [name, child] of Object.entries(value)) {
        if (keyword === 'dependencies' && Array.isArray(child)) continue;
        if (keyword === 'properties' && (typeof child !== 'object' || child === null || typeof (child as { description?: unknown }).description !== 'string' || (child as { description: string }).description === '')) {
          fail(`${at}.properties.${name} has no "description"; every param says what it is for (attnlab plugins and editors show it)`);
        }
        walk(child, `${at}.${keyword}.${name}`, fail);
      }
    } else if (SUBSCHEMAS.has(keyword)) {
      const children = Array.isArray(value) ? value : [value];
      children.forEach((child, index) => walk(child, Array.isArray(value) ? `${at}.${keyword}[${index}]` : `${at}.${keyword}`, fail));
    }
  }
  // A nested plugin block's own params are checked with that plugin; the root must be an object schema.
  if (isRoot && node.type !== 'object') fail('the params schema must have type "object"');
}
