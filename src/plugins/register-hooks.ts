/**
 * Loaded with `node --import` in processes attnlab starts for a user's files (the workers of
 * `attnlab test`), so that they resolve and load those files as a run does. The files to load as
 * ES modules arrive in {@link ENTRIES_VARIABLE} (a JSON list of absolute paths).
 */
import { ENTRIES_VARIABLE, installHooks } from './module-format.js';

await installHooks(JSON.parse(process.env[ENTRIES_VARIABLE] ?? '[]') as string[]);
