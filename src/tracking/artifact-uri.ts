/**
 * Where a run's artifacts go, read from the run's `artifact_uri` the way MLflow's client picks
 * its artifact repository (`mlflow/store/artifact/artifact_repository_registry.py`):
 *
 * - `mlflow-artifacts:/<path>`: the server's artifact proxy, resolved against the tracking URI as
 *   `MlflowArtifactsRepository.resolve_uri` does (a host in the URI replaces the tracking host);
 * - `http(s)://…`: that URL, written with `PUT <uri>/<path>` (MLflow's `HttpArtifactRepository`);
 * - `file:` URIs and plain paths: a folder written directly, as `LocalArtifactRepository` does; on a
 *   tracking server this is a disk the server and this machine share;
 * - anything else (`s3://`, `gs://`, `wasbs://`, `hdfs://`, …) needs a cloud SDK attnlab does not
 *   carry, and is refused with the way round it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MlflowRestClient, MlflowRunInfo } from './rest.js';
import { TrackingError, validateArtifactPath } from './validation.js';

type ArtifactDestination =
  /** Upload each file with `PUT <url>/<relative path>`. */
  | { readonly kind: 'http'; readonly url: string }
  /** Write each file under this folder. */
  | { readonly kind: 'local'; readonly dir: string };

const PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * The destination of the artifacts of a run whose `artifact_uri` is `artifactUri`, on the server
 * at `trackingUri`; relative paths are taken from `cwd`, as MLflow's client takes them from its
 * working directory. Throws `tracking/artifact-store-unsupported` for a scheme attnlab cannot write.
 */
export function resolveArtifactDestination(artifactUri: string, trackingUri: string, cwd: string): ArtifactDestination {
  // A Windows drive letter ("C:\…") is a path, not a scheme.
  const scheme = /^[a-zA-Z]:[\\/]/.test(artifactUri) ? undefined : /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(artifactUri)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', dir: resolve(cwd, artifactUri) };
  if (scheme === 'file') return { kind: 'local', dir: localFolder(artifactUri, cwd) };
  if (scheme === 'http' || scheme === 'https') return { kind: 'http', url: artifactUri.replace(/\/+$/, '') };
  if (scheme === 'mlflow-artifacts') return { kind: 'http', url: resolveProxyUri(artifactUri, trackingUri) };
  throw new TrackingError(
    'tracking/artifact-store-unsupported',
    `the run's artifacts go to "${artifactUri}" (scheme "${scheme}:"), which attnlab cannot write to: it writes artifacts ` +
      `through the server's artifact proxy, to http(s) or to a path on a shared disk. Start the server with ` +
      `\`--serve-artifacts --artifacts-destination ${rootOf(artifactUri)}\` so that artifacts go through it, or with a ` +
      `\`--default-artifact-root\` on a disk this machine shares (an experiment keeps the artifact location it was ` +
      `created with: use a new experiment after the change).`,
  );
}

/** `MlflowArtifactsRepository.resolve_uri`: scheme from the tracking URI, host from either, the proxy path. */
export function resolveProxyUri(artifactUri: string, trackingUri: string): string {
  const artifact = new URL(artifactUri);
  const tracking = new URL(trackingUri);
  const trackingPath = tracking.pathname.replace(/\/+$/, '');
  const path = artifact.pathname === '/' || artifact.pathname === '' ? `${PROXY_PATH}/` : `${trackingPath}/${PROXY_PATH}/${artifact.pathname}`;
  const host = artifact.host || tracking.host;
  return `${tracking.protocol}//${host}${path.replace(/\/\/+/g, '/')}`.replace(/\/+$/, '');
}

function localFolder(uri: string, cwd: string): string {
  if (!uri.startsWith('file://')) return resolve(cwd, uri.slice('file:'.length));
  try {
    return fileURLToPath(uri);
  } catch (error) {
    throw new TrackingError(
      'tracking/artifact-store-unsupported',
      `the run's artifacts go to "${uri}", a file: URI on another host; attnlab writes local paths only: ` +
        `mount that disk here and give the server a \`--default-artifact-root\` that names it as a path.`,
      error,
    );
  }
}

/** The bucket or container part of a cloud URI, for the fix in the message. */
function rootOf(uri: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]+)/.exec(uri);
  return match ? `${match[1]}/…` : uri;
}

/** The run's `artifact_uri`; MLflow's default proxy layout when the server reported none. */
function runArtifactUri(run: Pick<MlflowRunInfo, 'run_id' | 'experiment_id' | 'artifact_uri'>): string {
  return run.artifact_uri || `mlflow-artifacts:/${run.experiment_id}/${run.run_id}/artifacts`;
}

/**
 * Stores `content` as the artifact `relativePath` of `run`, where its `artifact_uri` says: through
 * `client`'s server (or the http(s) store named), or into the folder.
 */
export async function writeRunArtifact(
  client: MlflowRestClient,
  run: Pick<MlflowRunInfo, 'run_id' | 'experiment_id' | 'artifact_uri'>,
  relativePath: string,
  content: Uint8Array,
  cwd: string = process.cwd(),
): Promise<void> {
  const artifactUri = runArtifactUri(run);
  const destination = resolveArtifactDestination(artifactUri, client.trackingUri, cwd);
  if (destination.kind === 'http') await client.uploadArtifact(destination.url, relativePath, content);
  else await writeLocalArtifact(destination.dir, relativePath, content, artifactUri);
}

/** Writes an artifact into a folder of the artifact store, as MLflow's local repository does. */
async function writeLocalArtifact(dir: string, relativePath: string, content: Uint8Array, artifactUri: string): Promise<void> {
  validateArtifactPath(relativePath);
  const target = join(dir, relativePath);
  try {
    await mkdir(dirname(target), { recursive: true });
    await writeAside(target, content);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new TrackingError(
      'tracking/artifact-store-unwritable',
      `cannot write artifact "${relativePath}" into ${dir} (${code}): the server gives the run the artifact location ` +
        `"${artifactUri}", a path that attnlab writes directly, like MLflow's client. Mount that disk here at the same ` +
        `path, or start the server with --serve-artifacts so that artifacts go through it.`,
      error,
    );
  }
}

/** Readers of the store never see half a file: written aside, then renamed over. */
async function writeAside(target: string, content: Uint8Array): Promise<void> {
  const temporary = join(dirname(target), `.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
