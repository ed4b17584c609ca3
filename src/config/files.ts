/** Validation of any attnlab file a user can name: run configs (and, through them, their extends). */
import type { Override } from './load.js';
import { resolveConfigFile } from './validate.js';

export async function validateFile(file: string, overrides: readonly Override[]): Promise<void> {
  await resolveConfigFile(file, overrides);
}
