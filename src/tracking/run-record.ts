/**
 * What every run records besides its metrics: the resolved config as flat params, MLflow's
 * standard tags.
 */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { promisify } from 'node:util';

const TAG_CONFIG_HASH = 'attnlab.config.sha256';
const TAG_BACKEND = 'attnlab.backend';

/**
 * The resolved config as MLflow params: nested keys dotted (`model.pooler.type`), lists and
 * empty objects as JSON, scalars as text. Values too long for a param are the caller's to log
 * as an artifact (the whole config goes there anyway).
 */
export function flattenParams(config: object): Record<string, string> {
  const params: Record<string, string> = {};
  const visit = (value: unknown, key: string): void => {
    if (isNonEmptyPlainObject(value)) {
      for (const [child, inner] of Object.entries(value)) visit(inner, key ? `${key}.${child}` : child);
    } else if (value !== undefined) {
      params[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  };
  visit(config, '');
  return params;
}

function isNonEmptyPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
}

/** The user MLflow records (`getpass.getuser()`: LOGNAME, USER, LNAME, USERNAME, then the account). */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.LOGNAME || env.USER || env.LNAME || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

interface StandardTagsOptions {
  readonly runName: string;
  /** The entry point that started the run; `process.argv[1]` by default. */
  readonly sourceName?: string;
  /** Folder whose git checkout's HEAD is recorded; `process.cwd()` by default. */
  readonly cwd?: string;
  /** SHA-256 of the resolved config, so that identical configs can be found. */
  readonly configHash?: string;
  /** The tfjs backend the run computes with, e.g. `wasm`. */
  readonly backend?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** MLflow's standard tags, plus attnlab's config hash and backend when given. */
export async function standardTags(options: StandardTagsOptions): Promise<Record<string, string>> {
  const tags: Record<string, string> = {
    'mlflow.runName': options.runName,
    'mlflow.source.name': options.sourceName ?? basename(process.argv[1] ?? 'attnlab'),
    'mlflow.source.type': 'LOCAL',
    'mlflow.user': currentUser(options.env),
  };
  const commit = await gitCommit(options.cwd ?? process.cwd());
  if (commit) tags['mlflow.source.git.commit'] = commit;
  if (options.configHash) tags[TAG_CONFIG_HASH] = options.configHash;
  if (options.backend) tags[TAG_BACKEND] = options.backend;
  return tags;
}

/** HEAD's commit, or undefined outside a git checkout (or without git installed). */
export async function gitCommit(cwd: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5000 });
    const commit = stdout.trim();
    return /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}
