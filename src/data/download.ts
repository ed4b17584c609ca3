/**
 * Downloads a file so that a half-written file never looks whole: the body goes to a temporary
 * file in the destination's folder, is checked (size and sha256), and only then renamed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataError } from '../errors.js';
import type { ProgressReporter } from '../plugin-api.js';

export interface DownloadRequest {
  readonly url: string;
  readonly destination: string;
  /** Expected sha256, hex; the download is rejected when it differs. */
  readonly sha256: string;
  /** Expected size in bytes, when known in advance (else the server's Content-Length is checked). */
  readonly size?: number;
  readonly progress: ProgressReporter;
}

export async function downloadFile(request: DownloadRequest): Promise<void> {
  const { url, destination } = request;
  await mkdir(dirname(destination), { recursive: true });
  const partial = join(dirname(destination), `.${basename(destination)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    const response = await fetchOk(url);
    const expectedSize = request.size ?? contentLength(response);
    const { bytes, sha256 } = await saveBody(response, partial, request, expectedSize);
    verify(request, bytes, sha256, expectedSize);
    await rename(partial, destination);
  } finally {
    await rm(partial, { force: true });
  }
}

async function fetchOk(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DataError('download-failed', `cannot download ${url}: ${describeCause(error)}`, error);
  }
  if (!response.ok || !response.body) {
    throw new DataError('download-failed', `cannot download ${url}: the server answered ${response.status} ${response.statusText}`);
  }
  return response;
}

function contentLength(response: Response): number | undefined {
  const header = response.headers.get('content-length');
  return header === null ? undefined : Number(header);
}

async function saveBody(response: Response, partial: string, request: DownloadRequest, expectedSize: number | undefined): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  const task = request.progress.start(`downloading ${basename(request.destination)}`, expectedSize, 'B');
  let bytes = 0;
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
    task.tick(chunk.length);
  });
  try {
    await pipeline(body, createWriteStream(partial));
  } catch (error) {
    throw new DataError('download-interrupted', `download of ${request.url} was interrupted after ${bytes} bytes (${describeCause(error)}); nothing was kept, run again to retry`, error);
  } finally {
    task.done();
  }
  return { bytes, sha256: hash.digest('hex') };
}

function verify(request: DownloadRequest, bytes: number, sha256: string, expectedSize: number | undefined): void {
  if (expectedSize !== undefined && bytes !== expectedSize) {
    throw new DataError('download-interrupted', `download of ${request.url} stopped at ${bytes} of ${expectedSize} bytes; nothing was kept, run again to retry`);
  }
  if (sha256 !== request.sha256.toLowerCase()) {
    throw new DataError('checksum-mismatch', `download of ${request.url} has sha256 ${sha256}, expected ${request.sha256}; the file was removed. If the URL is a mirror of another version, set its checksum (sha256) in the config`);
  }
}

/** fetch hides the network error in `cause`. */
function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
