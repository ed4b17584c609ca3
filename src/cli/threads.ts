/**
 * `--threads N`, on the commands that compute: how many threads the kernels split their work
 * over, overriding `train.threads` (all cores by default). Imported only by a command that runs,
 * so that `--help` stays quick.
 */
import { THREAD_LIMITS } from '../config/schema.js';
import { UsageError } from '../errors.js';

/** What `--threads` accepts, as its errors say. */
export const THREADS_ALLOWED = `a whole number of threads from ${THREAD_LIMITS.minimum} to ${THREAD_LIMITS.maximum} (more than the cores is allowed)`;

/** The count `--threads` gives, or undefined without the flag; anything but a whole number in range is a usage error. */
export function parseThreads(value: string | boolean | readonly string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const count = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(count >= THREAD_LIMITS.minimum && count <= THREAD_LIMITS.maximum)) throw new UsageError(`--threads takes ${THREADS_ALLOWED}, found "${String(value)}"`);
  return count;
}

/**
 * For the commands that score a trained run: starts the kernel threads `--threads` asks for
 * (all cores without it), says so on standard error when they outnumber the cores, and returns
 * their count.
 */
export async function startThreadsOption(value: string | boolean | readonly string[] | undefined): Promise<number> {
  const requested = parseThreads(value);
  const { exceedsCores, kernelThreadsNotice, startKernelThreads } = await import('../nn/threads/pool.js');
  const count = await startKernelThreads(requested);
  if (exceedsCores(count)) process.stderr.write(`attnlab: ${kernelThreadsNotice(count)}\n`);
  return count;
}
