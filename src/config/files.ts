/** Validation of any attnlab file a user can name: run configs and sweep files. */
import type { Override } from './load.js';
import { resolveConfigFile } from './validate.js';
import { readYamlFile } from './yaml-source.js';

export async function validateFile(file: string, overrides: readonly Override[]): Promise<void> {
  const { looksLikeSweep, readSweepFile } = await import('../sweep/sweep-file.js');
  if (looksLikeSweep(parseQuietly(file))) {
    const { planSweep } = await import('../sweep/plan.js');
    await planSweep(readSweepFile(file), overrides);
  } else {
    await resolveConfigFile(file, overrides);
  }
}

/** The file's data, or undefined when it cannot be read; the validator then reports why. */
function parseQuietly(file: string): unknown {
  const parsed = readYamlFile(file);
  return 'problems' in parsed ? undefined : parsed.data;
}
