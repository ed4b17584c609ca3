/**
 * `attnlab sweep`: plan, resume and run a sweep, then rank its trials. A trial is done when its
 * hash has a FINISHED child run under the sweep's parent run; everything else runs (again).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { displayPath, type Override } from '../config/load.js';
import { flattenParams } from '../tracking/run-record.js';
import { sweepComparisonPage } from '../report/compare.js';
import { openSweepLedger, type RunRecord, type SweepLedger } from './ledger.js';
import { planSweep, type PlannedTrial, type SweepPlan } from './plan.js';
import { runTrials } from './runner.js';
import { readSweepFile } from './sweep-file.js';
import { SweepDisplay } from './display.js';

export type TrialState = 'done' | 'failed' | 'running' | 'pending' | 'new';

export interface TrialView {
  readonly trial: PlannedTrial;
  readonly state: TrialState;
  /** The attempt that counts: the finished one, else the latest. */
  readonly run?: RunRecord;
  /** Seconds, from earlier runs of the same model on the same data. */
  readonly estimate?: number;
}

export interface SweepSelection {
  /** Run only this trial (0-based), e.g. a scheduler's array index. */
  readonly trial?: number;
  /** Run only the trials with index ≡ shard.index (mod shard.count). */
  readonly shard?: { readonly index: number; readonly count: number };
}

export async function loadSweep(file: string, overrides: readonly Override[]): Promise<{ plan: SweepPlan; ledger: SweepLedger; views: TrialView[] }> {
  const plan = await planSweep(readSweepFile(file), overrides);
  return { plan, ...(await readState(plan)) };
}

/** What the tracking store says of each planned trial; read again after trials ran, without re-planning. */
async function readState(plan: SweepPlan): Promise<{ ledger: SweepLedger; views: TrialView[] }> {
  const tracking = plan.trials[0]?.config.tracking ?? {};
  const ledger = await openSweepLedger({ uri: tracking.uri, experiment: tracking.experiment, sweepName: plan.sweep.name });
  const previous = await ledger.previousPlan();
  const views = plan.trials.map((trial): TrialView => {
    const attempts = ledger.attemptsOf(trial.hash).sort((a, b) => b.startTime - a.startTime);
    const finished = attempts.find((run) => run.status === 'FINISHED');
    const latest = finished ?? attempts[0];
    const state: TrialState = finished
      ? 'done'
      : latest?.status === 'RUNNING'
        ? 'running'
        : latest
          ? 'failed'
          : ledger.parentRunId && previous && !previous.includes(trial.hash)
            ? 'new'
            : 'pending';
    return { trial, state, run: latest, estimate: estimateSeconds(trial, ledger.runs) };
  });
  return { ledger, views };
}

/** Keys whose values decide how long an epoch takes. */
const COST_KEYS = /^(model\.|embeddings\.type$|data\.type$|data\.train_limit$|data\.size$|train\.batch_size$|train\.max_length$)/;

function estimateSeconds(trial: PlannedTrial, runs: readonly RunRecord[]): number | undefined {
  const wanted = Object.entries(flattenParams(trial.config)).filter(([key]) => COST_KEYS.test(key));
  const epochTimes = runs
    .filter((run) => run.metrics.epoch_seconds !== undefined && wanted.every(([key, value]) => run.params[key] === value))
    .map((run) => run.metrics.epoch_seconds);
  if (epochTimes.length === 0) return undefined;
  return (trial.config.train.epochs * epochTimes.reduce((sum, seconds) => sum + seconds, 0)) / epochTimes.length;
}

export function selectTrials(views: readonly TrialView[], selection: SweepSelection): TrialView[] {
  if (selection.trial !== undefined) return views.filter((view) => view.trial.index === selection.trial);
  const { shard } = selection;
  return shard ? views.filter((view) => view.trial.index % shard.count === shard.index) : [...views];
}

export interface RunSweepOptions extends SweepSelection {
  readonly signal: AbortSignal;
  readonly display: SweepDisplay;
}

export interface SweepResult {
  readonly failed: number;
  readonly interrupted: boolean;
  readonly table: string;
  readonly best?: string;
}

export async function runSweep(file: string, overrides: readonly Override[], options: RunSweepOptions): Promise<SweepResult> {
  const { plan, ledger, views } = await loadSweep(file, overrides);
  const distributed = options.trial !== undefined || options.shard !== undefined;
  const selected = selectTrials(views, options);
  // A RUNNING attempt is alive elsewhere when trials are spread over machines; locally it was left by a crash.
  const toRun = selected.filter((view) => view.state !== 'done' && !(distributed && view.state === 'running'));
  const parentRunId = await ledger.ensureParent({ 'attnlab.sweep.file': plan.sweep.file });
  await ledger.writeArtifact('trials.json', `${JSON.stringify(plan.trials.map(({ index, hash, overrides: set }) => ({ index, hash, overrides: set.map((o) => o.text) })), null, 2)}\n`);
  for (const view of toRun) for (const attempt of ledger.attemptsOf(view.trial.hash)) await ledger.discard(attempt.runId);
  const logDir = join('.attnlab', 'sweeps', plan.sweep.name);
  mkdirSync(logDir, { recursive: true });
  const logPath = (trial: PlannedTrial) => join(logDir, `trial-${trial.index}.log`);
  options.display.start(selected.length - toRun.length, selected.length, Math.min(plan.sweep.parallel, toRun.length));
  const outcomes = await runTrials(
    plan,
    toRun.map((view) => view.trial),
    {
      parentRunId,
      parallel: plan.sweep.parallel,
      stopOnFailure: plan.sweep.on_failure === 'stop',
      signal: options.signal,
      events: {
        started: (trial, runId) => options.display.trialStarted(trial, runId),
        log: (trial, message) => {
          appendFileSync(logPath(trial), `${message}\n`);
          options.display.trialLog(trial, message);
        },
        ended: async (trial, outcome) => {
          if (outcome.status !== 'FINISHED') {
            appendFileSync(logPath(trial), `${outcome.error}\n`);
            if (outcome.runId) await ledger.end(outcome.runId, outcome.status, outcome.error).catch(() => undefined);
          }
          options.display.trialEnded(trial, outcome, logPath(trial));
        },
      },
    },
  );
  const failures = [...outcomes.values()].filter((outcome) => outcome.status !== 'FINISHED');
  const after = (await readState(plan)).views;
  const summary = summarize(plan, after, overrides);
  await ledger.writeArtifact('summary.csv', summary.csv);
  const comparison = await sweepComparisonPage(parentRunId, plan.trials[0]?.config.tracking.uri).catch(() => undefined);
  if (comparison) await ledger.writeArtifact('compare.html', comparison);
  await ledger.writeArtifact('summary.md', comparison ? `${summary.markdown}\n[Compare the trials](compare.html) · \`attnlab compare ${parentRunId}\`\n` : summary.markdown);
  const complete = after.every((view) => view.state === 'done');
  if (!distributed || complete) {
    await ledger.end(parentRunId, options.signal.aborted ? 'KILLED' : complete ? 'FINISHED' : 'FAILED', failures.length ? `${failures.length} trial(s) failed` : undefined);
  }
  options.display.finish();
  return { failed: failures.length, interrupted: options.signal.aborted, table: summary.table, best: summary.best };
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
      ? `attnlab run ${displayPath(plan.sweep.base)}${[...overrides, ...winner.trial.overrides].map((override) => ` --set ${shellWord(`${override.path}=${yamlScalar(override.value)}`)}`).join('')}`
      : undefined;
  return { csv: `${csv}\n`, markdown: `${markdown}\n`, table, best };
}

function yamlScalar(value: unknown): string {
  return typeof value === 'string' && /^[\w./-]+$/.test(value) ? value : JSON.stringify(value);
}

function shellWord(word: string): string {
  return /^[\w./=:@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function format(value: number | undefined, digits = 4): string {
  return value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}
