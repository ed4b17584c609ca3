/**
 * Kernel threads: worker threads that run parts of a kernel call over the pool's shared
 * `WebAssembly.Memory` (its arena), while the calling thread runs its own part.
 *
 * Kernel calls are synchronous (tfjs's custom ops are), so the calling thread cannot wait for a
 * message: it hands each worker its job through a `MessagePort` read synchronously
 * (`receiveMessageOnPort`) and blocks on `Atomics.wait` until every worker has stored that job's
 * sequence number. A worker that fails or exits stores its state first, so the caller gets an
 * error instead of waiting forever.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { AttnlabError } from '../../errors.js';
import { startWorker } from '../../thread.js';
import type { WasmMemory } from '../wasm/runtime.js';
import { KernelArena } from './arena.js';
import type { KernelJob } from './jobs.js';

/** Per worker, in the control array: the last job posted, the last job done, and its state. */
export const CONTROL = { slots: 3, posted: 0, done: 1, state: 2 } as const;
const { slots: SLOTS, posted: POSTED, done: DONE, state: STATE } = CONTROL;
export const WORKER_STATE = { starting: 0, ready: 1, failed: 2, exited: 3 } as const;

/**
 * How long a thread polls a control slot before it sleeps on it. A call's jobs come in bursts
 * (projection, forward rows, backward rows, gradients) a fraction of a millisecond apart, and
 * waking a sleeping thread costs far more than that on a virtual machine, whose idle core the
 * host has to wake first.
 */
const POLL_MS = 1;

/**
 * Returns once `control[slot]` is no longer `value` or `stop()` holds, or once a wait of up to
 * `timeoutMs` after polling ends.
 */
export function pollThenWait(control: Int32Array, slot: number, value: number, timeoutMs?: number, stop: () => boolean = () => false): void {
  const until = performance.now() + POLL_MS;
  while (Atomics.load(control, slot) === value && !stop()) {
    if (performance.now() > until) {
      Atomics.wait(control, slot, value, timeoutMs);
      return;
    }
  }
}

/** How long a worker may take to load its modules; a loaded machine running from sources needs seconds. */
const START_TIMEOUT_MS = 120_000;

/** What the worker gets first: where its slots are, the port its jobs come through and the memory they work on. */
export interface WorkerSetup {
  readonly control: SharedArrayBuffer;
  readonly index: number;
  readonly port: MessagePort;
  readonly memory: WasmMemory;
}

export interface PostedJob {
  readonly sequence: number;
  readonly job: KernelJob;
}

/** A failure reported by a worker, on its port. */
export interface WorkerFailure {
  readonly sequence: number;
  readonly message: string;
}

interface KernelWorker {
  readonly thread: Worker;
  readonly port: MessagePort;
}

/** Milliseconds spent per named phase of kernel calls, summed over calls. */
export type PhaseProfile = Map<string, number>;

export class KernelThreads {
  /** The memory every kernel call of this pool works in; shared when there are workers. */
  readonly arena: KernelArena;
  /** Where {@link timed} adds up its phases, when set (the bench's breakdown); unset, nothing is timed. */
  profile: PhaseProfile | undefined;
  private readonly control: Int32Array<SharedArrayBuffer>;
  private readonly workers: KernelWorker[];
  private sequence = 0;
  private broken: string | undefined;

  /** `count` threads in all: the caller's and `count − 1` workers. */
  constructor(readonly count: number) {
    this.arena = new KernelArena(count > 1);
    this.control = new Int32Array(new SharedArrayBuffer(4 * SLOTS * Math.max(1, count - 1)));
    this.workers = Array.from({ length: count - 1 }, (_, index) => this.spawn(index));
  }

  private spawn(index: number): KernelWorker {
    const thread = startWorker(new URL(`./kernel-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
    // Idle kernel threads must not keep the process alive.
    thread.unref();
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    const setup: WorkerSetup = { control: this.control.buffer, index, port: port2, memory: this.arena.memory };
    thread.postMessage(setup, [port2]);
    thread.once('exit', () => {
      this.broken ??= `kernel thread ${index + 1} exited`;
    });
    thread.on('error', (error: { message?: string }) => {
      this.broken ??= `kernel thread ${index + 1} failed: ${error.message ?? String(error)}`;
    });
    return { thread, port: port1 };
  }

  /** Resolves once every worker has loaded (or rejects with why one could not). */
  async ready(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (this.workers.some((_, index) => this.state(index) === WORKER_STATE.starting)) {
      this.throwIfBroken();
      if (Date.now() > deadline) throw this.error(`a kernel thread did not start within ${START_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.throwIfBroken();
  }

  /**
   * Runs `jobs[w]` on worker w and `own` on the calling thread, and returns once all are done.
   * `jobs` may be shorter than the workers: the others stay idle. `phase` names the call in the profile.
   */
  run(jobs: readonly KernelJob[], own: () => void, phase = 'kernels'): void {
    this.throwIfBroken();
    const sequence = ++this.sequence;
    jobs.forEach((job, index) => {
      const posted: PostedJob = { sequence, job };
      this.workers[index].port.postMessage(posted);
      Atomics.store(this.control, index * SLOTS + POSTED, sequence);
      Atomics.notify(this.control, index * SLOTS + POSTED);
    });
    let ownError: unknown;
    try {
      this.timed(`${phase}: own rows`, own);
    } catch (error) {
      ownError = error;
    }
    this.timed(`${phase}: waiting for threads`, () => jobs.forEach((_, index) => this.await(index, sequence)));
    if (ownError !== undefined) throw ownError;
  }

  /** Runs `part`, adding its time to `phase` in the profile when there is one. */
  timed<T>(phase: string, part: () => T): T {
    const profile = this.profile;
    if (profile === undefined) return part();
    const start = performance.now();
    try {
      return part();
    } finally {
      profile.set(phase, (profile.get(phase) ?? 0) + performance.now() - start);
    }
  }

  private await(index: number, sequence: number): void {
    const slot = index * SLOTS + DONE;
    const started = Date.now();
    for (;;) {
      const done = Atomics.load(this.control, slot);
      if (done === sequence) return;
      const state = this.state(index);
      if (state === WORKER_STATE.failed) throw this.error(`kernel thread ${index + 1} failed: ${this.failure(index)}`);
      if (state === WORKER_STATE.exited) throw this.error(`kernel thread ${index + 1} exited during a kernel call`);
      // A worker that cannot load its modules never reports: only its start-up time tells.
      if (state === WORKER_STATE.starting && Date.now() - started > START_TIMEOUT_MS) throw this.error(`kernel thread ${index + 1} did not start within ${START_TIMEOUT_MS / 1000} s`);
      // The timeout only bounds how long a state change could go unseen; workers notify.
      pollThenWait(this.control, slot, done, 1000, () => this.state(index) >= WORKER_STATE.failed);
    }
  }

  private state(index: number): number {
    return Atomics.load(this.control, index * SLOTS + STATE);
  }

  private failure(index: number): string {
    const received = receiveMessageOnPort(this.workers[index].port);
    return received ? (received.message as WorkerFailure).message : 'no reason given';
  }

  private throwIfBroken(): void {
    if (this.broken !== undefined) throw this.error(this.broken);
  }

  /** Marks the pool unusable (the next call gets fresh threads) and says so. */
  private error(reason: string): AttnlabError {
    this.broken ??= reason;
    this.close();
    return new AttnlabError('kernel-thread-failed', `${reason}; the kernels cannot run split across threads (train.threads: 1 runs them on one thread)`);
  }

  get usable(): boolean {
    return this.broken === undefined;
  }

  close(): void {
    this.broken ??= 'kernel threads closed';
    for (const { thread } of this.workers) void thread.terminate();
  }

  /** The worker threads, for tests that make one fail. */
  get threads(): readonly Worker[] {
    return this.workers.map(({ thread }) => thread);
  }
}

let configured = availableParallelism();
let pool: KernelThreads | undefined;

/** Sets how many threads kernels split their work over (`train.threads`); 1: the calling thread alone. */
export function setKernelThreads(count: number): void {
  configured = Math.max(1, Math.floor(count));
  if (pool !== undefined && pool.count !== configured) {
    pool.close();
    pool = undefined;
  }
}

export function kernelThreadCount(): number {
  return configured;
}

/** The pool of {@link kernelThreadCount} threads, started on first use (and again after a failure). */
export function kernelThreads(): KernelThreads {
  if (pool === undefined || !pool.usable) pool = new KernelThreads(configured);
  return pool;
}

/** Whether `count` threads outnumber this machine's cores: allowed, but they take turns on them. */
export function exceedsCores(count: number): boolean {
  return count > availableParallelism();
}

/** The log line of a thread count: `kernel threads: N`, and why that is slow when they outnumber the cores. */
export function kernelThreadsNotice(count: number): string {
  const cores = availableParallelism();
  return `kernel threads: ${count}${exceedsCores(count) ? ` (more than the ${cores} cores of this machine: the threads take turns on them)` : ''}`;
}

/**
 * Sets the thread count (`undefined`: all cores) and starts the pool ahead of the first kernel
 * call, so that a worker that cannot load is an error here; returns the count.
 */
export async function startKernelThreads(count: number | undefined): Promise<number> {
  setKernelThreads(count ?? availableParallelism());
  if (configured > 1) await kernelThreads().ready();
  return configured;
}
