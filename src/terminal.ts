/**
 * Where the core's output for people goes (progress bars, notices, predictions written to `-`).
 * Only the CLI owns the process's streams: it connects them at start-up. Until then — tests,
 * a program using attnlab as a library — that output is dropped rather than written to a
 * terminal that someone else owns.
 */
import { Writable } from 'node:stream';

export type TerminalStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

interface Terminal {
  readonly stdout: TerminalStream;
  readonly stderr: TerminalStream;
}

const discard = (): TerminalStream => new Writable({ write: (_chunk, _encoding, callback) => callback() });
let connected: Terminal | undefined;

export function connectTerminal(terminal: Terminal): void {
  connected = terminal;
}

export function terminal(): Terminal {
  connected ??= { stdout: discard(), stderr: discard() };
  return connected;
}

/** A one-line notice for the user, e.g. a cache rebuilt or events left in a journal. */
export function notice(message: string): void {
  terminal().stderr.write(`attnlab: ${message}\n`);
}
