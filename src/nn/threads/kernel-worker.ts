/**
 * A kernel thread (see `pool.ts`): takes its setup from its parent, then runs jobs as they are
 * posted, blocking on its control slot in between. Whatever fails or ends it is stored in its
 * slot, so that the caller waiting for it gets an error.
 */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { MemoryInstances } from './arena.js';
import { runJob } from './jobs.js';
import { CONTROL, WORKER_STATE, pollThenWait, type PostedJob, type WorkerFailure, type WorkerSetup } from './pool.js';

function serve({ control: buffer, index, port, memory }: WorkerSetup): void {
  const instances = new MemoryInstances(memory);
  const control = new Int32Array(buffer);
  const [posted, done, state] = [CONTROL.posted, CONTROL.done, CONTROL.state].map((offset) => index * CONTROL.slots + offset);
  const report = (value: number) => {
    Atomics.store(control, state, value);
    Atomics.notify(control, done);
  };
  // A failure stays the state the caller reads, rather than the exit that follows it.
  process.once('exit', () => {
    Atomics.compareExchange(control, state, WORKER_STATE.ready, WORKER_STATE.exited);
    Atomics.notify(control, done);
  });
  report(WORKER_STATE.ready);
  let handled = 0;
  for (;;) {
    pollThenWait(control, posted, handled);
    const received = receiveMessageOnPort(port);
    if (received === undefined) continue;
    const { sequence, job } = received.message as PostedJob;
    handled = sequence;
    try {
      runJob(job, instances, true);
    } catch (error) {
      const failure: WorkerFailure = { sequence, message: error instanceof Error ? error.message : String(error) };
      port.postMessage(failure);
      report(WORKER_STATE.failed);
      return;
    }
    Atomics.store(control, done, sequence);
    Atomics.notify(control, done);
  }
}

parentPort?.once('message', serve);
