/** Where a plugin block of each kind goes in a run config, and the snippet that uses a plugin. */
import type { PluginKind } from '../plugin-api.js';

/** Key path of the block of `kind` in a run config (encoder, pooler, value and head sit in the classifier model). */
export function slotPath(kind: PluginKind, name: string): readonly string[] {
  const paths: Record<PluginKind, readonly string[]> = {
    dataset: ['data'],
    embeddings: ['embeddings'],
    model: ['model'],
    encoder: ['model', 'encoder'],
    pooler: ['model', 'pooler'],
    value: ['model', 'value'],
    head: ['model', 'head'],
    regularizer: ['regularizers', name],
    optimizer: ['train', 'optimizer'],
    tokenizer: ['tokenizer'],
  };
  return paths[kind];
}

/** `block` placed at the slot of `kind`, e.g. `{ model: { pooler: block } }`. */
export function placeInSlot(kind: PluginKind, name: string, block: unknown): Record<string, unknown> {
  return slotPath(kind, name).reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), block as Record<string, unknown>);
}

/** The config lines that load `pluginFile` and select the plugin, e.g. `model: { pooler: { type: scaled-dot } }`. */
export function configSnippet(kind: PluginKind, name: string, pluginFile: string): string {
  const block = slotPath(kind, name).reduceRight((inner, key) => `${key}: { ${inner} }`, `type: ${name}`);
  return `plugins: [${pluginFile}]\n${block}\n`;
}
