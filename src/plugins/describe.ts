/** Plugins described from their schemas, for `attnlab plugins` and the docs. */
import { relative } from 'node:path';
import { SLOT_KEYWORD, type PluginKind } from '../plugin-api.js';
import type { PluginRegistry } from './registry.js';

export interface ParamDescription {
  readonly name: string;
  readonly type: string;
  readonly default?: unknown;
  readonly description: string;
}

export interface PluginDescription {
  readonly kind: PluginKind;
  readonly name: string;
  readonly description: string;
  readonly file: string;
  readonly params: readonly ParamDescription[];
}

type PropertySchema = Record<string, unknown>;

export async function describePlugins(registry: PluginRegistry, kind?: PluginKind): Promise<PluginDescription[]> {
  const descriptions: PluginDescription[] = [];
  for (const entry of registry.list(kind)) {
    const plugin = await entry.load();
    const properties = ((plugin.schema as PropertySchema).properties ?? {}) as Record<string, PropertySchema>;
    descriptions.push({
      kind: entry.kind,
      name: entry.name,
      description: plugin.description,
      file: entry.file,
      params: Object.entries(properties).map(([name, schema]) => ({
        name,
        type: typeName(schema),
        ...(schema.default !== undefined ? { default: schema.default } : {}),
        description: String(schema.description ?? ''),
      })),
    });
  }
  return descriptions;
}

function typeName(schema: PropertySchema): string {
  if (schema[SLOT_KEYWORD]) return `${String(schema[SLOT_KEYWORD])} plugin`;
  if (Array.isArray(schema.enum)) return schema.enum.map(String).join(' | ');
  if (schema.type === 'array') return `${typeName((schema.items ?? {}) as PropertySchema)}[]`;
  const range = [
    schema.minimum !== undefined ? `≥ ${String(schema.minimum)}` : schema.exclusiveMinimum !== undefined ? `> ${String(schema.exclusiveMinimum)}` : '',
    schema.maximum !== undefined ? `≤ ${String(schema.maximum)}` : '',
  ].filter(Boolean);
  return `${String(schema.type ?? 'any')}${range.length ? ` (${range.join(', ')})` : ''}`;
}

export function formatPluginList(descriptions: readonly PluginDescription[]): string {
  const lines: string[] = [];
  let kind: PluginKind | undefined;
  for (const plugin of descriptions) {
    if (plugin.kind !== kind) {
      kind = plugin.kind;
      lines.push(`${lines.length ? '\n' : ''}${kind}:`);
    }
    lines.push(`  ${plugin.name} — ${plugin.description}`);
    if (!plugin.file.includes(`${'plugins'}/${plugin.kind}/`)) lines.push(`    from ${relative(process.cwd(), plugin.file)}`);
    for (const param of plugin.params) {
      const fallback = param.default !== undefined ? ` = ${JSON.stringify(param.default)}` : '';
      lines.push(`    ${param.name}: ${param.type}${fallback}`);
      if (param.description) lines.push(`        ${param.description}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
