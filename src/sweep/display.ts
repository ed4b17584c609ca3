/**
 * What a sweep shows while it runs: on a terminal, one line per busy worker and an overall bar,
 * redrawn in place; elsewhere, one plain line per event. Failures are printed as they happen.
 */
import type { PlannedTrial } from './plan.js';
import type { TrialOutcome } from './runner.js';
import { terminal, type TerminalStream } from '../terminal.js';

export class SweepDisplay {
  private readonly busy = new Map<number, string>();
  private done = 0;
  private failed = 0;
  private total = 0;
  private drawnLines = 0;

  constructor(private readonly stream: TerminalStream = terminal().stderr) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  start(alreadyDone: number, total: number, workers: number, runningElsewhere = 0): void {
    this.done = alreadyDone;
    this.total = total - runningElsewhere;
    const elsewhere = runningElsewhere ? `, ${runningElsewhere} running elsewhere (heartbeat fresh; left alone)` : '';
    this.print(`sweep: ${total} trial(s), ${alreadyDone} already done${elsewhere}, running ${total - alreadyDone - runningElsewhere} on ${workers} worker(s)`);
  }

  trialStarted(trial: PlannedTrial, runId: string): void {
    this.busy.set(trial.index, `trial ${trial.index} (${describe(trial)}): started, run ${runId}`);
    if (!this.tty) this.print(this.busy.get(trial.index) as string);
    this.redraw();
  }

  trialLog(trial: PlannedTrial, message: string): void {
    this.busy.set(trial.index, `trial ${trial.index}: ${message}`);
    this.redraw();
  }

  trialEnded(trial: PlannedTrial, outcome: TrialOutcome, logPath: string): void {
    this.busy.delete(trial.index);
    this.done++;
    if (outcome.status === 'FINISHED') {
      const accuracy = outcome.metrics.val_accuracy;
      this.print(`trial ${trial.index} (${describe(trial)}): finished, val_accuracy ${accuracy?.toFixed(4) ?? '–'}`);
    } else {
      this.failed++;
      this.print(`trial ${trial.index} (${describe(trial)}): ${outcome.status} — ${outcome.error}\n    log: ${logPath}`);
    }
  }

  finish(): void {
    this.clear();
  }

  private print(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
    this.redraw();
  }

  private clear(): void {
    if (this.tty && this.drawnLines > 0) this.stream.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private redraw(): void {
    if (!this.tty) return;
    this.clear();
    const width = (this.stream.columns ?? 100) - 1;
    const filled = this.total ? Math.round((20 * this.done) / this.total) : 20;
    const lines = [...this.busy.values(), `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${this.done}/${this.total} trials${this.failed ? `, ${this.failed} failed` : ''}`];
    for (const line of lines) this.stream.write(`${line.slice(0, width)}\n`);
    this.drawnLines = lines.length;
  }
}

function describe(trial: PlannedTrial): string {
  return trial.overrides.map((override) => override.text).join(' ') || 'base';
}
