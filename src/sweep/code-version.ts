/**
 * The version of attnlab itself that runs a trial, part of every trial's identity: the package's
 * version and, when attnlab runs from a git checkout, that checkout's commit. It is read from
 * attnlab's own folder, never from the directory the user stands in, so that a sweep planned from
 * anywhere sees the same trials.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gitCommit } from '../tracking/run-record.js';

/** attnlab's package folder: two levels above this module, in `src/` and in `dist/src/` alike. */
function packageRoot(): string {
  const up = import.meta.url.includes('/dist/src/') ? '../../../' : '../../';
  return fileURLToPath(new URL(up, import.meta.url));
}

/** `attnlab@<version>`, plus `+<commit>` when attnlab's own folder is a git checkout. */
export async function codeVersion(root: string = packageRoot()): Promise<string> {
  const manifest = JSON.parse(await readFile(`${root}/package.json`, 'utf8')) as { name?: string; version?: string };
  const commit = await gitCommit(root);
  return `${manifest.name ?? 'attnlab'}@${manifest.version ?? '0.0.0'}${commit ? `+${commit}` : ''}`;
}
