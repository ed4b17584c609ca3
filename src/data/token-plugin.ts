/**
 * The run's tokenizer plugin: built from the config's `tokenizer` block, and built again from its
 * file and params in a worker thread, where the built object (functions) cannot be sent.
 */
import type { Container } from 'inversify';
import type { AnyPlugin, PluginBlock, Tokenizer } from '../plugin-api.js';
import { buildPlugin, registryOf } from '../plugins/container.js';
import { importPlugin } from '../plugins/registry.js';
import { TOKENIZER_CONTEXT } from './tokenize.js';

/** What rebuilds a tokenizer elsewhere: its plugin file and its validated block (type and params). */
export interface TokenizerSpec {
  readonly file: string;
  readonly block: PluginBlock;
}

/** A tokenizer and the spec that rebuilds it. */
export interface ConfiguredTokenizer {
  readonly tokenizer: Tokenizer;
  readonly spec: TokenizerSpec;
}

/** Builds the tokenizer of a validated `tokenizer` block through the run's container. */
export async function buildTokenizer(container: Container, block: PluginBlock): Promise<ConfiguredTokenizer> {
  const entry = registryOf(container).get('tokenizer', block.type);
  // The validator refuses a block naming no registered tokenizer: this is a caller's mistake.
  if (!entry) throw new Error(`tokenizer "${block.type}" is not registered`);
  return { tokenizer: await buildPlugin(container, 'tokenizer', block, {}), spec: { file: entry.file, block } };
}

/** The tokenizer of `spec`, imported and created afresh (in a worker thread). */
export async function rebuildTokenizer(spec: TokenizerSpec): Promise<Tokenizer> {
  // importPlugin checks that the file declares this kind and name.
  const plugin = (await importPlugin(spec.file, { kind: 'tokenizer', name: spec.block.type })) as Extract<AnyPlugin, { kind: 'tokenizer' }>;
  const { type: _type, ...params } = spec.block;
  return plugin.create(params as never, TOKENIZER_CONTEXT);
}
