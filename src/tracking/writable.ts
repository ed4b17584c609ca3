/**
 * Whether a local tracking store can be written, checked before any training: a store path that
 * is a file, a read-only folder or file system is refused up front, with nothing created.
 */
import { randomBytes } from 'node:crypto';
import { statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { TrackingError } from './validation.js';
import type { TrackingTarget } from './tracker.js';

/** Throws a TrackingError when `target` (a file store) cannot take a run. A server is checked when the run opens. */
export function checkStoreWritable(target: TrackingTarget): void {
  if (target.kind !== 'file') return;
  let folder = target.root;
  for (;;) {
    const info = statOrUndefined(folder);
    if (info) {
      if (!info.isDirectory()) {
        throw new TrackingError(
          'tracking/not-a-folder',
          `the tracking store ${target.root} cannot be used: ${folder} is a file, not a folder; point MLFLOW_TRACKING_URI or tracking.uri at a folder`,
        );
      }
      break;
    }
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  // A probe file, not access(2): root ignores permission bits, and a read-only mount shows only on writing.
  const probe = join(folder, `.attnlab-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(probe, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new TrackingError(
      'tracking/not-writable',
      `the tracking store ${target.root} cannot be written (${code} in ${folder}: ${(error as Error).message}); nothing was trained. Free space or fix the permissions, or choose another store with MLFLOW_TRACKING_URI`,
      error,
    );
  }
  unlinkSync(probe);
}

/** A path under a file (ENOTDIR) does not exist either: its parent is looked at next. */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Whether `error` is a failed file-system write (disk full, read-only, gone). */
export function isStoreWriteError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EFBIG'].includes(code);
}
