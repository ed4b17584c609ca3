/**
 * attnlab's error family. Every error a user can cause carries a stable `code`, where it happened
 * (file, line, column, key path), what was found and what would be right, so that the CLI can
 * print it and tests can assert it field by field.
 */

/** Where in a config a value came from. `file` is a path, or `--set <expr>` for overrides. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export interface ProblemDetails {
  readonly code: string;
  readonly message: string;
  /** Dotted key path in the config, e.g. `model.pooler.type`. */
  readonly path?: string;
  readonly location?: SourceLocation;
  /** One line telling how to fix it. */
  readonly hint?: string;
}

/** One thing wrong with the user's input. */
export class Problem implements ProblemDetails {
  readonly code: string;
  readonly message: string;
  readonly path?: string;
  readonly location?: SourceLocation;
  readonly hint?: string;

  constructor(details: ProblemDetails) {
    this.code = details.code;
    this.message = details.message;
    this.path = details.path;
    this.location = details.location;
    this.hint = details.hint;
  }

  /** `file:line:column: path: message (hint)` */
  format(): string {
    const where = this.location ? `${formatLocation(this.location)}: ` : '';
    const path = this.path ? `${this.path}: ` : '';
    const hint = this.hint ? `\n    ${this.hint}` : '';
    return `${where}${path}${this.message}${hint}`;
  }
}

export function formatLocation(location: SourceLocation): string {
  if (location.line === undefined) return location.file;
  return `${location.file}:${location.line}:${location.column ?? 1}`;
}

/** Base class: an error the user can fix. The CLI prints its message, not a stack. */
export class AttnlabError extends Error {
  readonly code: string;
  /** Process exit code the CLI uses. */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AttnlabError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A config (or sweep file, or override) with one or more problems. Exit code 2. */
export class ConfigError extends AttnlabError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const lines = problems.map((problem) => problem.format());
    super(problems[0]?.code ?? 'config', lines.join('\n'), { exitCode: 2 });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Input data (dataset, embeddings, archive, download) that cannot be used. */
export class DataError extends AttnlabError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = 'DataError';
  }
}

/** A plugin that breaks the contract: names the plugin file and what was expected. */
export class PluginError extends AttnlabError {
  readonly file: string;

  constructor(code: string, file: string, message: string, cause?: unknown) {
    super(code, `${file}: ${message}`, { exitCode: 2, cause });
    this.name = 'PluginError';
    this.file = file;
  }
}

/** Training that cannot go on (NaN loss, diverged). */
export class TrainingError extends AttnlabError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'TrainingError';
  }
}

/** Wrong command-line arguments. Exit code 2. */
export class UsageError extends AttnlabError {
  constructor(message: string) {
    super('usage', message, { exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** Closest candidate by edit distance, for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}
