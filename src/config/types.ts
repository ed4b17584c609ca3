/**
 * The config's types, derived from its schema (`configSchema`), as the validator produces them: a
 * new key or default in the schema is a new or required property here, with nothing to keep in step.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { resolvedConfigSchema, userConfigSchema } from './schema.js';

/** What a config file may say: every key optional, `extends` included. */
export type UserConfig = FromSchema<typeof userConfigSchema, { keepDefaultedPropertiesOptional: true }>;

/**
 * The resolved config: `extends` and overrides merged, validated, defaults filled, frozen (`plugins`
 * holds absolute paths by then). Core code takes only this type.
 */
export type ResolvedConfig = DeepReadonly<FromSchema<typeof resolvedConfigSchema>>;

export type TrainSettings = ResolvedConfig['train'];

/** A resolved config with where it came from. */
export interface ConfigFile {
  /** Absolute path of the config file the user named. */
  readonly file: string;
  readonly config: ResolvedConfig;
}

type DeepReadonly<T> = T extends readonly (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
    : T;
