/** Names that become file or folder names: run names, sweep names, artifact names. */

/**
 * Why `name` cannot name a folder or file (undefined when it can): it becomes a path under
 * `.attnlab/sweeps/`, in trial logs and in reports, so it must stay one plain segment.
 */
export function checkPathName(name: string): string | undefined {
  if (name.trim() === '') return 'is empty';
  if (name.length > 200) return `has ${name.length} characters (at most 200)`;
  if (name === '.' || name === '..' || /[/\\]/.test(name) || name.includes('..')) return 'would point outside its folder (it holds "/", "\\" or "..")';
  if (/[\x00-\x1f\x7f:*?"<>|]/.test(name)) return 'holds characters that file names cannot (control characters or :*?"<>|)';
  return undefined;
}
