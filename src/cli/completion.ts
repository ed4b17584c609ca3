/**
 * Shell completion scripts for bash, zsh and fish: commands, each command's options, config
 * files, plugin kinds and the `--set` keys of the config schema (every plugin's params
 * included), as Hydra completes its overrides. The scripts are static, so a TAB costs no Node
 * start-up; regenerate them after adding plugins.
 */
import { PLUGIN_KINDS } from '../plugin-api.js';
import type { JsonSchema } from '../config/schema.js';
import type { OptionsConfig } from './command.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionData {
  /** Command → its summary. */
  readonly commands: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, OptionsConfig>>;
  /** Dotted keys that `--set` accepts. */
  readonly setKeys: readonly string[];
}

/** Commands whose first argument is a config or sweep file. */
const FILE_COMMANDS = ['run', 'sweep', 'validate', 'config'];

/**
 * Every dotted key under the editor schema's properties with its schema, slots expanded through
 * its definitions; a param that plugins of a kind type differently is any of their types.
 */
export function schemaLeaves(schema: JsonSchema): Map<string, JsonSchema> {
  const definitions = (schema.definitions ?? {}) as Record<string, JsonSchema>;
  const found = new Map<string, JsonSchema[]>();
  const add = (path: string, node: JsonSchema): void => {
    const seen = found.get(path) ?? [];
    if (!seen.some((other) => JSON.stringify(other) === JSON.stringify(node))) seen.push(node);
    found.set(path, seen);
  };
  const visit = (node: JsonSchema, prefix: string, depth: number): void => {
    if (depth > 8) return;
    const ref = typeof node.$ref === 'string' ? definitions[node.$ref.replace('#/definitions/', '')] : undefined;
    const target = ref ?? node;
    const properties: [string, JsonSchema][] = Object.entries((target.properties ?? {}) as Record<string, JsonSchema>);
    for (const variant of (target.allOf ?? []) as JsonSchema[]) {
      // Only the per-plugin branches (`if type is X`), not the untyped or near-miss ones.
      if ((variant.if as JsonSchema | undefined)?.required === undefined || (variant.then as JsonSchema | undefined)?.additionalProperties !== false) continue;
      properties.push(...Object.entries(((variant.then as JsonSchema).properties ?? {}) as Record<string, JsonSchema>));
    }
    // A map of named plugin blocks (regularizers): offer each plugin under its own name.
    const additional = target.additionalProperties as JsonSchema | undefined;
    const named = typeof additional?.$ref === 'string' ? definitions[additional.$ref.replace('#/definitions/', '')] : undefined;
    for (const variant of (named?.allOf ?? []) as JsonSchema[]) {
      const name = (((variant.if as JsonSchema | undefined)?.properties as Record<string, JsonSchema> | undefined)?.type as JsonSchema | undefined)?.const;
      if (typeof name !== 'string') continue;
      add(`${prefix}.${name}`, additional!);
      visit(variant.then as JsonSchema, `${prefix}.${name}`, depth + 1);
    }
    for (const [key, child] of properties) {
      if (key === 'extends' && prefix === '') continue;
      const path = prefix ? `${prefix}.${key}` : key;
      // The `type: { const }` of one plugin's branch stands for the kind's name schema.
      if (key === 'type' && ref) add(path, (ref.properties as Record<string, JsonSchema>).type);
      else add(path, child);
      visit(child, path, depth + 1);
    }
  };
  visit(schema, '', 0);
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)).map(([key, schemas]) => [key, schemas.length === 1 ? schemas[0] : { anyOf: schemas }]));
}

/** Every dotted key `--set` accepts. */
export function schemaKeys(schema: JsonSchema): string[] {
  return [...schemaLeaves(schema).keys()];
}

function optionNames(options: OptionsConfig): string[] {
  return [...Object.keys(options).map((name) => `--${name}`), '--help'];
}

/** Options whose value is a path (completed as files). */
function pathOptions(data: CompletionData): string[] {
  const paths = new Set<string>();
  for (const options of Object.values(data.options)) {
    for (const [name, option] of Object.entries(options)) {
      if (option.type === 'string' && ['html', 'file', 'plugin', 'dir'].includes(name)) paths.add(`--${name}`);
    }
  }
  return [...paths].sort();
}

const quote = (words: readonly string[]): string => words.join(' ');

function bashScript(data: CompletionData): string {
  const cases = Object.entries(data.options)
    .map(([command, options]) => `      ${command}) opts="${quote(optionNames(options))}" ;;`)
    .join('\n');
  return `# attnlab completion for bash: source <(attnlab completion bash)
_attnlab_set_keys="${quote(data.setKeys)}"
_attnlab() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="\${COMP_WORDS[1]}" opts=""
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${quote([...Object.keys(data.commands), 'help'])}" -- "$cur") )
    return
  fi
  if [[ "$prev" == "--set" || "$prev" == "-s" ]]; then
    compopt -o nospace 2>/dev/null
    COMPREPLY=( $(compgen -W "$_attnlab_set_keys" -S = -- "$cur") )
    return
  fi
  case "$prev" in
    ${pathOptions(data).join('|')}) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    case "$command" in
${cases}
    esac
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    return
  fi
  case "$command" in
    ${FILE_COMMANDS.join('|')}) COMPREPLY=( $(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur") ) ;;
    help) COMPREPLY=( $(compgen -W "${quote(Object.keys(data.commands))}" -- "$cur") ) ;;
    completion) COMPREPLY=( $(compgen -W "${quote(SHELLS)}" -- "$cur") ) ;;
    plugins) COMPREPLY=( $(compgen -W "${quote(PLUGIN_KINDS)}" -- "$cur") ) ;;
    new) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=( plugin ) || COMPREPLY=( $(compgen -W "${quote(PLUGIN_KINDS)}" -- "$cur") ) ;;
    *) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
  esac
}
complete -o filenames -F _attnlab attnlab
`;
}

function zshScript(data: CompletionData): string {
  // zsh runs the bash function through bashcompinit: one script to keep right.
  return `#compdef attnlab
# attnlab completion for zsh: source <(attnlab completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(data).split('\n').slice(1).join('\n')}`;
}

function fishEscape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

function fishScript(data: CompletionData): string {
  const commands = Object.keys(data.commands);
  const lines = [
    '# attnlab completion for fish: attnlab completion fish | source',
    'complete -c attnlab -f',
    ...Object.entries(data.commands).map(([command, summary]) => `complete -c attnlab -n '__fish_use_subcommand' -a ${command} -d '${fishEscape(summary)}'`),
    `complete -c attnlab -n '__fish_seen_subcommand_from help' -a '${commands.join(' ')}'`,
    `complete -c attnlab -n '__fish_seen_subcommand_from completion' -a '${SHELLS.join(' ')}'`,
    `complete -c attnlab -n '__fish_seen_subcommand_from plugins new' -a '${PLUGIN_KINDS.join(' ')}'`,
    `complete -c attnlab -n '__fish_seen_subcommand_from ${FILE_COMMANDS.join(' ')}' -F -a '(__fish_complete_suffix .yaml)'`,
  ];
  for (const [command, options] of Object.entries(data.options)) {
    for (const [name, option] of Object.entries(options)) {
      const condition = `-n '__fish_seen_subcommand_from ${command}'`;
      const short = option.short ? ` -s ${option.short}` : '';
      if (name === 'set') lines.push(`complete -c attnlab ${condition} -l set${short} -x -a '${data.setKeys.map((key) => `${key}=`).join(' ')}'`);
      else if (option.type === 'string') lines.push(`complete -c attnlab ${condition} -l ${name}${short} -r${pathOptions(data).includes(`--${name}`) ? ' -F' : ''}`);
      else lines.push(`complete -c attnlab ${condition} -l ${name}${short}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: Shell, data: CompletionData): string {
  return shell === 'bash' ? bashScript(data) : shell === 'zsh' ? zshScript(data) : fishScript(data);
}
