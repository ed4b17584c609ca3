/**
 * Progress of long work, drawn for people: a one-line bar on a TTY (label, percent, count, rate,
 * ETA and an optional status such as the current loss), occasional plain lines otherwise.
 */
import { useColor } from './report/terminal.js';
import type { ProgressReporter, ProgressTask } from './plugin-api.js';
import { terminal, type TerminalStream } from './terminal.js';

interface ProgressBar extends ProgressTask {
  /** Text shown after the numbers, e.g. `loss 0.312`; replaces the previous one. */
  status(text: string): void;
}

interface ProgressOptions {
  /** Where to draw; the CLI's stderr by default. */
  readonly stream?: TerminalStream;
  /** Plain lines when not a TTY (CI logs); false for none at all. */
  readonly plainLines?: boolean;
  /** Clock in ms, for tests. */
  readonly now?: () => number;
}

/** Minimum time between two redraws on a TTY, and between two plain lines. */
const REDRAW_MS = 100;
const PLAIN_LINE_MS = 10_000;

class TerminalProgress implements ProgressReporter {
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private readonly color: boolean;
  private readonly plainLines: boolean;
  private readonly now: () => number;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? terminal().stderr;
    this.tty = this.stream.isTTY === true;
    this.color = useColor(this.stream);
    this.plainLines = options.plainLines ?? true;
    this.now = options.now ?? (() => performance.now());
  }

  start(label: string, total?: number, unit = ''): ProgressBar {
    const draw = this.tty ? (line: string) => this.stream.write(`\r\x1b[2K${line}`) : (line: string) => this.stream.write(`${line}\n`);
    const quiet = !this.tty && !this.plainLines;
    const onDone = this.tty ? clearOnExit(this.stream) : undefined;
    // A 0-column terminal (some CI ptys) would cut every line to nothing.
    const width = this.stream.columns || 80;
    return new Bar({ label, total, unit, now: this.now, draw: quiet ? () => {} : draw, tty: this.tty, color: this.color, width, onDone });
  }
}

/**
 * While a bar is drawn on a TTY, a process that exits (Ctrl-C, an error) erases the half-drawn
 * line so that the shell prompt, or the last message, starts on a clean line. Returns the
 * callback that the bar calls when done.
 */
function clearOnExit(stream: NodeJS.WritableStream): () => void {
  const clear = (): void => void stream.write('\r\x1b[2K');
  process.once('exit', clear);
  return () => process.off('exit', clear);
}

/** A reporter that shows nothing (tests, library use). */
export const silentProgress: ProgressReporter = {
  start: () => ({ tick() {}, done() {}, status() {} }) satisfies ProgressBar,
};

interface BarSettings {
  readonly label: string;
  readonly total: number | undefined;
  readonly unit: string;
  readonly now: () => number;
  readonly draw: (line: string) => void;
  readonly tty: boolean;
  readonly color: boolean;
  readonly width: number;
  readonly onDone?: () => void;
}

class Bar implements ProgressBar {
  private count = 0;
  private statusText = '';
  private readonly started: number;
  private lastDraw: number;
  private finished = false;

  constructor(private readonly settings: BarSettings) {
    this.started = settings.now();
    this.lastDraw = this.settings.tty ? -Infinity : this.started;
    if (!settings.tty) settings.draw(`${settings.label}…`);
  }

  tick(amount: number): void {
    this.count += amount;
    this.maybeDraw();
  }

  status(text: string): void {
    this.statusText = text;
    this.maybeDraw();
  }

  done(): void {
    if (this.finished) return;
    this.finished = true;
    const seconds = (this.settings.now() - this.started) / 1000;
    const line = `${this.settings.label}: ${this.amount(this.count)} in ${seconds.toFixed(1)} s${this.statusText ? `  ${this.statusText}` : ''}`;
    // On a TTY the closing line replaces the bar and ends it: no blank line, no half bar left.
    this.settings.draw(this.settings.tty ? `${line}\n` : line);
    this.settings.onDone?.();
  }

  private maybeDraw(): void {
    const now = this.settings.now();
    const interval = this.settings.tty ? REDRAW_MS : PLAIN_LINE_MS;
    if (this.finished || now - this.lastDraw < interval) return;
    this.lastDraw = now;
    this.settings.draw(this.render(now));
  }

  /** `label  42% ████░░░░  1.2M/2.9M B  3.1M B/s  ETA 0:01  status` */
  render(now: number): string {
    const { label, total, color } = this.settings;
    const seconds = Math.max((now - this.started) / 1000, 1e-3);
    const rate = this.count / seconds;
    const parts = [label];
    if (total) {
      const fraction = Math.min(this.count / total, 1);
      parts.push(`${(fraction * 100).toFixed(0).padStart(3)}%`);
      if (this.settings.tty) parts.push(bar(fraction, 20, color));
      parts.push(`${this.amount(this.count)}/${this.amount(total)}`);
      parts.push(`${this.amount(rate)}/s`);
      parts.push(`ETA ${formatDuration(rate > 0 ? (total - this.count) / rate : Infinity)}`);
    } else {
      parts.push(this.amount(this.count), `${this.amount(rate)}/s`);
    }
    if (this.statusText) parts.push(this.statusText);
    const line = parts.join('  ');
    return this.settings.tty ? line.slice(0, this.settings.width - 1) : line;
  }

  private amount(value: number): string {
    return formatAmount(value, this.settings.unit);
  }
}

function bar(fraction: number, width: number, color: boolean): string {
  const filled = Math.round(fraction * width);
  const done = '█'.repeat(filled);
  const left = '░'.repeat(width - filled);
  return color ? `\x1b[36m${done}\x1b[2m${left}\x1b[0m` : `${done}${left}`;
}

/** 1234 → `1.2k`, 3_100_000 → `3.1M`. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '?';
  if (value < 1000) return `${Math.round(value)}`;
  const units = ['k', 'M', 'G', 'T'];
  let scaled = value;
  let unit = -1;
  while (scaled >= 1000 && unit < units.length - 1) {
    scaled /= 1000;
    unit++;
  }
  return `${scaled.toFixed(1)}${units[unit]}`;
}

/** A count with its unit: bytes as `54.5 MB`, other units as `1.2k reviews`, none as `1.2k`. */
export function formatAmount(value: number, unit: string): string {
  if (unit === 'B') {
    const count = formatCount(value);
    // formatCount's k/M/G become the byte prefixes kB/MB/GB.
    return /[kMGT]$/.test(count) ? `${count.slice(0, -1)} ${count.slice(-1)}B` : `${count} B`;
  }
  return unit ? `${formatCount(value)} ${unit}` : formatCount(value);
}

/** Seconds → `m:ss` or `h:mm:ss`; `?` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** The reporter the CLI uses: a bar on a TTY stderr, plain lines otherwise. */
export function createProgress(options: ProgressOptions = {}): TerminalProgress {
  return new TerminalProgress(options);
}
