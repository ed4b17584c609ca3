/**
 * One request to a module run in a worker thread: the module answers the first message it gets
 * (see `answerInThread`), then the thread ends.
 */
import { parentPort, Worker } from 'node:worker_threads';

/**
 * Runs the module `entry` in a new worker thread, sends it `request` (`transfer`: buffers moved
 * rather than copied) and resolves with its answer.
 */
export function runInThread<Request, Answer>(entry: URL, request: Request, transfer: readonly ArrayBuffer[] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(entry);
    const where = `the worker thread running ${entry.pathname}`;
    worker.once('message', (answer: Answer) => {
      resolve(answer);
      void worker.terminate();
    });
    // The thread's error arrives as a copy that is not an Error of this realm.
    worker.once('error', (error: { message?: string }) => reject(new Error(`${where} failed: ${error.message ?? String(error)}`, { cause: error })));
    worker.once('exit', (code) => reject(new Error(`${where} stopped (exit code ${code}) before it answered`)));
    worker.postMessage(request, [...transfer]);
  });
}

/** What a thread answers: the value, and the buffers moved rather than copied. */
interface ThreadAnswer<Answer> {
  readonly value: Answer;
  readonly transfer: readonly ArrayBuffer[];
}

/**
 * Inside a module run by `runInThread`: answers its request with `answer(request)`, which may be
 * asynchronous (e.g. to import a plugin first); a rejection fails the parent's `runInThread`.
 */
export function answerInThread<Request, Answer>(answer: (request: Request) => ThreadAnswer<Answer> | Promise<ThreadAnswer<Answer>>): void {
  if (!parentPort) throw new Error('answerInThread is for modules run in a worker thread by runInThread');
  const port = parentPort;
  port.once('message', async (request: Request) => {
    const { value, transfer } = await answer(request);
    port.postMessage(value, [...transfer]);
  });
}

/**
 * Run from the TypeScript sources (tests, benchmarks), the thread must first register the loader
 * its parent uses: Node 20 does not pass the parent's loader hooks on to worker threads.
 */
export function startWorker(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry);
  const bootstrap =
    "const { workerData } = require('node:worker_threads');" +
    'import(workerData.loader).then(({ register }) => { register(); return import(workerData.entry); });';
  return new Worker(bootstrap, { eval: true, workerData: { loader: import.meta.resolve('tsx/esm/api'), entry: entry.href } });
}
