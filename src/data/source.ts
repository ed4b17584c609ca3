/**
 * Finds a data file the way every dataset and embeddings source does: the path in the config,
 * then an environment variable, then the cache, then a verified download into the cache.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { DataError } from '../errors.js';
import type { ProgressReporter } from '../plugin-api.js';
import { downloadFile } from './download.js';

export interface DataSourceRequest {
  /** What is looked for, e.g. `the IMDB archive`. */
  readonly what: string;
  /** Config key and value; relative paths are taken from `configDir`. */
  readonly configKey: string;
  readonly configuredPath?: string;
  readonly configDir: string;
  /** Environment variable that may hold the path. */
  readonly envVariable?: string;
  /** Where the cached copy lives (and where a download goes). */
  readonly cacheFile: string;
  /** Empty url: no download. */
  readonly url: string;
  readonly sha256: string;
  readonly size?: number;
  readonly progress: ProgressReporter;
  readonly env?: NodeJS.ProcessEnv;
}

/** Path of the file or folder to read; throws a DataError listing every place looked. */
export async function resolveDataSource(request: DataSourceRequest): Promise<string> {
  const env = request.env ?? process.env;
  if (request.configuredPath) {
    const path = isAbsolute(request.configuredPath) ? request.configuredPath : resolve(request.configDir, request.configuredPath);
    return requireExisting(path, `${request.configKey} = ${request.configuredPath}`, request.what);
  }
  const fromEnv = request.envVariable ? env[request.envVariable] : undefined;
  if (fromEnv) return requireExisting(resolve(fromEnv), `${request.envVariable}=${fromEnv}`, request.what);
  if (await exists(request.cacheFile)) return request.cacheFile;
  if (!request.url) throw missing(request, 'no download URL is set');
  try {
    await downloadFile({ url: request.url, destination: request.cacheFile, sha256: request.sha256, size: request.size, progress: request.progress });
  } catch (error) {
    if (error instanceof DataError && error.code === 'download-failed') throw missing(request, error.message, error);
    throw error;
  }
  return request.cacheFile;
}

async function requireExisting(path: string, origin: string, what: string): Promise<string> {
  if (await exists(path)) return path;
  throw new DataError('data-missing', `${what} not found at ${path} (from ${origin}); fix the path or remove it to use the cache or a download`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function missing(request: DataSourceRequest, reason: string, cause?: unknown): DataError {
  const looked = [
    `${request.configKey} in the config: not set`,
    ...(request.envVariable ? [`environment variable ${request.envVariable}: not set`] : []),
    `cache: ${request.cacheFile} does not exist`,
    `download: ${reason}`,
  ];
  const how = [
    `set ${request.configKey} to a local copy (relative to the config file)`,
    ...(request.envVariable ? [`or export ${request.envVariable}=/path/to/it`] : []),
    `or put it at ${request.cacheFile}`,
    `or allow the download (${request.configKey.replace(/path$/, 'url')})`,
  ];
  const message = `${request.what} is not available. Looked at:\n${looked.map((line) => `  - ${line}`).join('\n')}\nTo provide it: ${how.join(', ')}.`;
  return new DataError('data-missing', message, cause);
}
