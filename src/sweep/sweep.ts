/**
 * `attnlab sweep`: plan, resume and run a sweep, then rank its trials. A trial is done when its
 * hash has a FINISHED child run of the sweep; a RUNNING one is alive while its heartbeat is
 * fresh and stale after that; everything else runs (again).
 */
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { displayPath, type Override } from '../config/load.js';
import { UsageError } from '../errors.js';
import { deathOf, staleAfterMs } from '../tracking/heartbeat.js';
import { flattenParams } from '../tracking/run-record.js';
import { sweepComparisonPage } from '../report/compare.js';
import { openSweepLedger, type RunRecord, type SweepLedger } from './ledger.js';
import { planSweep, type PlannedTrial, type SweepPlan } from './plan.js';
import { runTrials } from './runner.js';
import { readSweepFile } from './sweep-file.js';
import { SweepDisplay } from './display.js';

export type TrialState = 'done' | 'failed' | 'running' | 'stale' | 'pending' | 'new';

export interface TrialView {
  readonly trial: PlannedTrial;
  readonly state: TrialState;
  /** The attempt that counts: the finished one, else the latest. */
  readonly run?: RunRecord;
  /** For a stale trial: why its RUNNING attempt is taken for dead. */
  readonly death?: string;
  /** Seconds, from earlier runs of the same model on the same data. */
  readonly estimate?: number;
}

export interface SweepSelection {
  /** Run only this trial (0-based), e.g. a scheduler's array index. */
  readonly trial?: number;
  /** Run only the trials with index ≡ shard.index (mod shard.count). */
  readonly shard?: { readonly index: number; readonly count: number };
}

export interface LivenessOptions {
  /** The clock heartbeats are compared with; `Date.now` by default. */
  readonly now?: () => number;
  /** A RUNNING run whose heartbeat is older than this is stale; `ATTNLAB_STALE_AFTER` or 5 minutes by default. */
  readonly staleAfterMs?: number;
  /** Whether a process of this host is alive; `process.kill(pid, 0)` by default. */
  readonly isAlive?: (pid: number) => boolean;
}

export async function loadSweep(
  file: string,
  overrides: readonly Override[],
  liveness: LivenessOptions = {},
): Promise<{ plan: SweepPlan; ledger: SweepLedger; views: TrialView[] }> {
  const plan = await planSweep(readSweepFile(file), overrides);
  return { plan, ...(await readState(plan, liveness)) };
}

/** What the tracking store says of each planned trial; read again after trials ran, without re-planning. */
async function readState(plan: SweepPlan, liveness: LivenessOptions): Promise<{ ledger: SweepLedger; views: TrialView[] }> {
  const tracking = plan.trials[0]?.config.tracking ?? {};
  const ledger = await openSweepLedger({ uri: tracking.uri, experiment: tracking.experiment, sweepName: plan.sweep.name });
  const previous = await ledger.previousPlan();
  const now = (liveness.now ?? Date.now)();
  const threshold = liveness.staleAfterMs ?? staleAfterMs();
  const views = plan.trials.map((trial): TrialView => {
    const attempts = ledger.attemptsOf(trial.hash).sort((a, b) => b.startTime - a.startTime);
    const finished = attempts.find((run) => run.status === 'FINISHED');
    const latest = finished ?? attempts[0];
    const death = !finished && latest?.status === 'RUNNING' ? deathOf(latest, { now, staleAfterMs: threshold, isAlive: liveness.isAlive }) : undefined;
    const state: TrialState = finished
      ? 'done'
      : latest?.status === 'RUNNING'
        ? death
          ? 'stale'
          : 'running'
        : latest
          ? 'failed'
          : ledger.parentRunId && previous && !previous.includes(trial.hash)
            ? 'new'
            : 'pending';
    return { trial, state, run: latest, death, estimate: estimateSeconds(trial, ledger.runs) };
  });
  return { ledger, views };
}

/** Keys whose values decide how long an epoch takes. */
const COST_KEYS = /^(model\.|embeddings\.type$|data\.type$|data\.train_limit$|data\.size$|train\.batch_size$|train\.max_length$)/;

/**
 * The trial's whole run from earlier runs of the same model on the same data: per epoch the
 * training and validation passes, once the data loading, test scoring and report writing.
 */
function estimateSeconds(trial: PlannedTrial, runs: readonly RunRecord[]): number | undefined {
  const wanted = Object.entries(flattenParams(trial.config)).filter(([key]) => COST_KEYS.test(key));
  const similar = runs.filter((run) => run.metrics.epoch_seconds !== undefined && wanted.every(([key, value]) => run.params[key] === value));
  if (similar.length === 0) return undefined;
  const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const perEpoch = mean(similar.map((run) => run.metrics.epoch_seconds + (run.metrics.val_seconds ?? 0)));
  const once = mean(similar.filter((run) => run.metrics.data_seconds !== undefined).map((run) => run.metrics.data_seconds + (run.metrics.test_seconds ?? 0) + (run.metrics.report_seconds ?? 0)));
  return trial.config.train.epochs * perEpoch + once;
}

/** `--trial K` must name a trial of the plan: anything else is a mistake, not "nothing to do". */
export function checkSelection(plan: SweepPlan, selection: SweepSelection): void {
  if (selection.trial !== undefined && selection.trial >= plan.trials.length) {
    throw new UsageError(
      `--trial ${selection.trial}: ${displayPath(plan.sweep.file)} has ${plan.trials.length} trial(s), numbered 0–${plan.trials.length - 1}; ` +
        `size the job array with \`attnlab sweep ${displayPath(plan.sweep.file)} --plan --count\` or \`--plan --pending --format slurm\``,
    );
  }
}

export function selectTrials(views: readonly TrialView[], selection: SweepSelection): TrialView[] {
  if (selection.trial !== undefined) return views.filter((view) => view.trial.index === selection.trial);
  const { shard } = selection;
  return shard ? views.filter((view) => view.trial.index % shard.count === shard.index) : [...views];
}

/** Whether a trial still has to run: neither finished nor running with a fresh heartbeat. */
export function needsRun(view: TrialView): boolean {
  return view.state !== 'done' && view.state !== 'running';
}

/** The indices still to run, one per line, or for `--array=` as SLURM ranges (`0-3,7,9-11`). */
export function formatPending(views: readonly TrialView[], format: 'lines' | 'slurm'): string {
  const indices = views.filter(needsRun).map((view) => view.trial.index);
  if (format === 'lines') return indices.map((index) => `${index}\n`).join('');
  const ranges: string[] = [];
  for (let start = 0; start < indices.length; ) {
    let end = start;
    while (end + 1 < indices.length && indices[end + 1] === indices[end] + 1) end++;
    ranges.push(end === start ? `${indices[start]}` : `${indices[start]}-${indices[end]}`);
    start = end + 1;
  }
  return ranges.length ? `${ranges.join(',')}\n` : '';
}

export interface RunSweepOptions extends SweepSelection, LivenessOptions {
  readonly signal: AbortSignal;
  readonly display: SweepDisplay;
  /** Where each trial's log goes; `.attnlab/sweeps/<name>` by default. */
  readonly logDir?: string;
  /** Kernel threads of every trial (`--threads`), instead of its `train.threads`. */
  readonly threads?: number;
}

export interface SweepResult {
  readonly failed: number;
  /** Trials left alone because another process runs them (a fresh heartbeat). */
  readonly runningElsewhere: number;
  readonly interrupted: boolean;
  readonly table: string;
  readonly best?: string;
}

/** A trial's log: named by its hash, so it stays the trial's when an axis grows; rewritten by each attempt. */
export function trialLogPath(logDir: string, trial: PlannedTrial): string {
  return join(logDir, `trial-${trial.hash.slice(0, 16)}.log`);
}

export async function runSweep(file: string, overrides: readonly Override[], options: RunSweepOptions): Promise<SweepResult> {
  const { plan, ledger, views } = await loadSweep(file, overrides, options);
  checkSelection(plan, options);
  const distributed = options.trial !== undefined || options.shard !== undefined;
  const selected = selectTrials(views, options);
  const toRun = selected.filter(needsRun);
  const runningElsewhere = selected.filter((view) => view.state === 'running').length;
  const parentRunId = await ledger.ensureParent({ 'attnlab.sweep.file': plan.sweep.file });
  await ledger.writeArtifact('trials.json', `${JSON.stringify(plan.trials.map(({ index, hash, overrides: set }) => ({ index, hash, overrides: set.map((o) => o.text) })), null, 2)}\n`);
  for (const view of toRun) {
    for (const attempt of ledger.attemptsOf(view.trial.hash)) {
      if (view.state === 'stale' && attempt.status === 'RUNNING') {
        const death = attempt.runId === view.run?.runId ? view.death : 'an older attempt';
        await ledger.end(attempt.runId, 'KILLED', undefined, { 'attnlab.note': `${death}: the process died without ending the run; marked KILLED and run again by a rerun of the sweep` });
      }
      await ledger.discard(attempt.runId);
    }
  }
  const logDir = options.logDir ?? join('.attnlab', 'sweeps', plan.sweep.name);
  mkdirSync(logDir, { recursive: true });
  options.display.start(selected.length - toRun.length - runningElsewhere, selected.length, Math.min(plan.sweep.parallel, toRun.length), runningElsewhere);
  const outcomes = await runTrials(
    plan,
    toRun.map((view) => view.trial),
    {
      parentRunId,
      parallel: plan.sweep.parallel,
      threads: options.threads,
      stopOnFailure: plan.sweep.on_failure === 'stop',
      signal: options.signal,
      events: {
        started: (trial, runId) => {
          writeFileSync(trialLogPath(logDir, trial), `trial ${trial.index} (${trial.hash}), run ${runId}\n`);
          options.display.trialStarted(trial, runId);
        },
        log: (trial, message) => {
          appendFileSync(trialLogPath(logDir, trial), `${message}\n`);
          options.display.trialLog(trial, message);
        },
        ended: async (trial, outcome) => {
          if (outcome.status !== 'FINISHED') {
            appendFileSync(trialLogPath(logDir, trial), `${outcome.error}\n`);
            if (outcome.runId) await ledger.end(outcome.runId, outcome.status, outcome.error).catch(() => undefined);
          }
          options.display.trialEnded(trial, outcome, trialLogPath(logDir, trial));
        },
      },
    },
  );
  const failures = [...outcomes.values()].filter((outcome) => outcome.status !== 'FINISHED');
  const after = (await readState(plan, options)).views;
  const summary = summarize(plan, after, overrides);
  await ledger.writeArtifact('summary.csv', summary.csv);
  const comparison = await sweepComparisonPage(parentRunId, plan.trials[0]?.config.tracking.uri).catch(() => undefined);
  if (comparison) await ledger.writeArtifact('compare.html', comparison);
  await ledger.writeArtifact('summary.md', comparison ? `${summary.markdown}\n[Compare the trials](compare.html) · \`attnlab compare ${parentRunId}\`\n` : summary.markdown);
  const complete = after.every((view) => view.state === 'done');
  if ((!distributed && runningElsewhere === 0) || complete) {
    await ledger.end(parentRunId, options.signal.aborted ? 'KILLED' : complete ? 'FINISHED' : 'FAILED', failures.length ? `${failures.length} trial(s) failed` : undefined);
  }
  options.display.finish();
  return { failed: failures.length, runningElsewhere, interrupted: options.signal.aborted, table: summary.table, best: summary.best };
}

export interface SweepSummary {
  readonly table: string;
  readonly best?: string;
  /** Trials not finished yet. */
  readonly unfinished: number;
}

/**
 * `attnlab sweep --summary`: the ranking of what the store holds, printed and logged to the
 * parent run (summary.csv, summary.md), without running anything — e.g. after a job array.
 */
export async function summarizeSweep(file: string, overrides: readonly Override[], liveness: LivenessOptions = {}): Promise<SweepSummary> {
  const { plan, ledger, views } = await loadSweep(file, overrides, liveness);
  if (!ledger.parentRunId) {
    throw new UsageError(`${displayPath(plan.sweep.file)} has not run yet (no parent run in the tracking store): nothing to summarise`);
  }
  const summary = summarize(plan, views, overrides);
  await ledger.writeArtifact('summary.csv', summary.csv);
  await ledger.writeArtifact('summary.md', summary.markdown);
  const unfinished = views.filter((view) => view.state !== 'done').length;
  if (unfinished === 0) await ledger.end(ledger.parentRunId, 'FINISHED');
  return { table: summary.table, best: summary.best, unfinished };
}

interface Summary {
  readonly csv: string;
  readonly markdown: string;
  readonly table: string;
  readonly best?: string;
}

/** The trials ranked by the sweep's metric, as CSV, Markdown and a terminal table. */
function summarize(plan: SweepPlan, views: readonly TrialView[], overrides: readonly Override[]): Summary {
  const { metric, goal } = plan.sweep;
  const valueOf = (view: TrialView): number | undefined => {
    const metrics = view.state === 'done' ? view.run?.metrics : undefined;
    return metrics && (metric === 'val_accuracy' ? metrics.best_val_accuracy ?? metrics.val_accuracy : metrics[metric]);
  };
  const ranked = [...views].sort((a, b) => {
    const [x, y] = [valueOf(a), valueOf(b)];
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? a.trial.index - b.trial.index : 1) : -1;
    return goal === 'maximize' ? y - x : x - y;
  });
  const header = ['trial', 'overrides', metric, 'test_accuracy', 'seconds', 'state'];
  const rows = ranked.map((view) => {
    const metrics = view.run?.metrics ?? {};
    return [
      String(view.trial.index),
      view.trial.overrides.map((override) => override.text).join(' ') || '(base)',
      format(valueOf(view)),
      format(view.state === 'done' ? metrics.test_accuracy : undefined),
      format(view.state === 'done' ? metrics.train_seconds : undefined, 1),
      view.state,
    ];
  });
  const csv = [header, ...rows].map((row) => row.map((cell) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(',')).join('\n');
  const markdown = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const table = [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
  const winner = ranked[0];
  const best =
    winner && valueOf(winner) !== undefined
      ? bestTrialCommand(plan, winner.trial, overrides)
      : undefined;
  return { csv: `${csv}\n`, markdown: `${markdown}\n`, table, best };
}

/**
 * The `attnlab run` line that trains `trial` again: the sweep's `set:` block, the command line's
 * `--set`s and the trial's axes, in the order the sweep applies them.
 */
export function bestTrialCommand(plan: SweepPlan, trial: PlannedTrial, overrides: readonly Override[]): string {
  const fixed = Object.entries(plan.sweep.set).map(([path, value]) => ({ path, value }));
  const settings = [...fixed, ...overrides, ...trial.overrides];
  return `attnlab run ${shellWord(displayPath(plan.sweep.base))}${settings.map((override) => ` --set ${shellWord(`${override.path}=${yamlScalar(override.value)}`)}`).join('')}`;
}

/** The value as `--set` reads it back: bare when YAML gives the same string, else as JSON (which YAML reads too). */
function yamlScalar(value: unknown): string {
  return typeof value === 'string' && /^[\w./-]+$/.test(value) && parseYamlValue(value) === value ? value : JSON.stringify(value);
}

function shellWord(word: string): string {
  return /^[\w./=:@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function format(value: number | undefined, digits = 4): string {
  return value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}
