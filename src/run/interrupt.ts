/**
 * Stopping on a signal: SIGINT (Ctrl-C), SIGTERM (`kill`, `scancel`, a Kubernetes pod deletion)
 * and SIGUSR1 (what SLURM can send ahead of a time limit with `--signal`). The first one aborts
 * an `AbortSignal` that training checks after every batch; the run then ends KILLED and the
 * process exits with 128 + the signal's number. A second signal exits at once.
 */
import { AttnlabError } from '../errors.js';

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGUSR1: 138 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** Training stopped because the process received `signal`. */
export class InterruptedError extends AttnlabError {
  constructor(
    readonly signal: StopSignal,
    message = `interrupted by ${signal}`,
  ) {
    super('interrupted', message, { exitCode: SIGNAL_EXIT_CODES[signal] });
    this.name = 'InterruptedError';
  }
}

export interface Interruption {
  /** Aborted, with an {@link InterruptedError} as its reason, at the first signal. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  readonly received: StopSignal | undefined;
  /** 128 + the received signal's number (0 before any). */
  readonly exitCode: number;
  /** Removes the handlers. */
  dispose(): void;
}

export interface InterruptionOptions {
  /** Told of the first signal, e.g. to print what happens next. */
  readonly onSignal?: (signal: StopSignal) => void;
  /** What a second signal does; `process.exit` with the signal's code by default. */
  readonly onSecondSignal?: (signal: StopSignal) => void;
}

export function interruption(options: InterruptionOptions = {}): Interruption {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]).map((name) => {
    const handler = (): void => {
      if (received) {
        (options.onSecondSignal ?? ((second: StopSignal) => process.exit(SIGNAL_EXIT_CODES[second])))(name);
        return;
      }
      received = name;
      options.onSignal?.(name);
      controller.abort(new InterruptedError(name));
    };
    process.on(name, handler);
    return { name, handler };
  });
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received ? SIGNAL_EXIT_CODES[received] : 0;
    },
    dispose() {
      for (const { name, handler } of handlers) process.off(name, handler);
    },
  };
}
