/**
 * The run's tokenizer plugin, built from the config's `tokenizer` block, with the spec a worker
 * thread builds it again from (`intern-worker.ts`): the built object, functions, cannot be sent.
 */
import type { Container } from 'inversify';
import type { PluginBlock, Tokenizer } from '../plugin-api.js';
import { buildPlugin, registryOf } from '../plugins/container.js';

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
