/** What every CLI command module exports: its help text, its options and what it does. */
import type { ParseArgsConfig } from 'node:util';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
}

export interface CommandModule {
  /** `attnlab <usage>` */
  readonly usage: string;
  /** Paragraphs after the usage line in `--help`. */
  readonly help: string;
  readonly options: OptionsConfig;
  /** Returns the exit code. */
  run(args: ParsedArgs): Promise<number>;
}

/** The `--set` option shared by commands that read a run config. */
export const setOption = {
  set: { type: 'string', multiple: true, short: 's' },
} as const satisfies OptionsConfig;

/** `--threads N`, on the commands that compute (see threads.ts). */
export const threadsOption = {
  threads: { type: 'string' },
} as const satisfies OptionsConfig;

export const jsonOption = {
  json: { type: 'boolean' },
} as const satisfies OptionsConfig;

export function stringList(value: string | boolean | readonly string[] | undefined): string[] {
  if (value === undefined || typeof value === 'boolean') return [];
  return typeof value === 'string' ? [value] : [...value];
}
