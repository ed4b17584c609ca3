/**
 * A lock between processes that share a folder (array tasks on one file store, cold tasks on
 * one cache): a lock file created exclusively (`open(…, 'wx')`), removed when the work is done.
 * A lock file older than `staleMs` was left by a process that died holding it and is taken over.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AttnlabError } from './errors.js';

export interface LockOptions {
  /** A lock file older than this (by its modification time) is stale; 60 s by default. */
  readonly staleMs?: number;
  /** Give up after waiting this long for a live holder; 120 s by default. */
  readonly timeoutMs?: number;
  /** The clock lock ages are measured with; `Date.now` by default. */
  readonly now?: () => number;
}

const DEFAULT_STALE_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 120_000;

/** Runs `work` while holding the lock file `path`; the lock is released even when `work` throws. */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const now = options.now ?? Date.now;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const started = now();
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid} ${new Date(now()).toISOString()}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(path).then(
      (info) => now() - info.mtimeMs,
      () => 0,
    );
    if (age > staleMs) {
      // Only one waiter wins the rename; the others find the lock gone and race for a fresh one.
      const aside = `${path}.${randomBytes(4).toString('hex')}.stale`;
      if (await rename(path, aside).then(() => true, () => false)) await unlink(aside).catch(() => undefined);
      continue;
    }
    if (now() - started > (options.timeoutMs ?? DEFAULT_TIMEOUT_MS)) {
      throw new AttnlabError('lock-timeout', `waited ${Math.round((now() - started) / 1000)} s for the lock ${path}, held by another process; remove it if no attnlab is running`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 + attempt * 5) + Math.random() * 20));
  }
  try {
    return await work();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

/** Writes `content` beside `path`, then renames it over: readers see the old file or the new one, never half of it. */
export async function writeFileAtomically(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
