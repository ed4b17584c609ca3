/**
 * Guards the import of a user's plugin module: a module that calls `process.exit` while it is
 * imported, or whose top-level `await` never settles, is an error naming the file rather than
 * a silent exit (code 0, or 13 with no message).
 */

/** How long a plugin module may take to import; `ATTNLAB_PLUGIN_IMPORT_TIMEOUT_MS` overrides it. */
export const DEFAULT_IMPORT_TIMEOUT_MS = 30_000;

let guarded = 0;
let realExit: typeof process.exit | undefined;

/** Runs `load` (the import) with `process.exit` refused and a time limit; the caller names the file in the error. */
export async function guardedImport<T>(load: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const timeoutMs = Number(env.ATTNLAB_PLUGIN_IMPORT_TIMEOUT_MS) > 0 ? Number(env.ATTNLAB_PLUGIN_IMPORT_TIMEOUT_MS) : DEFAULT_IMPORT_TIMEOUT_MS;
  if (guarded++ === 0) {
    realExit = process.exit;
    process.exit = ((code?: number | string | null) => {
      throw new Error(`the plugin called process.exit(${code ?? ''}) while being imported; a plugin module must only export its descriptor`);
    }) as typeof process.exit;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`importing the plugin did not finish within ${timeoutMs} ms (a top-level await that never settles?)`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([load(), timeout]);
  } finally {
    clearTimeout(timer);
    if (--guarded === 0 && realExit) process.exit = realExit;
  }
}
