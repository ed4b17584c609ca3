/** `attnlab sweep --plan`: the trials, what sets them apart, their state and estimated cost. */
import { displayPath } from '../config/load.js';
import type { SweepPlan } from './plan.js';
import { needsRun, type TrialView } from './sweep.js';

export function formatPlan(plan: SweepPlan, views: readonly TrialView[]): string {
  const header = ['trial', ...plan.varying, 'state', 'estimate'];
  const rows = views.map((view) => {
    const values = new Map(view.trial.overrides.map((override) => [override.path, override.value]));
    return [
      String(view.trial.index),
      ...plan.varying.map((key) => JSON.stringify(values.get(key))),
      view.state,
      view.estimate === undefined ? '?' : duration(view.estimate),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const table = [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
  const pending = views.filter(needsRun);
  const known = pending.filter((view) => view.estimate !== undefined);
  const seconds = known.reduce((sum, view) => sum + (view.estimate ?? 0), 0) / Math.max(1, Math.min(plan.sweep.parallel, pending.length));
  const counts = ['done', 'failed', 'running', 'stale', 'pending', 'new'].map((state) => [state, views.filter((view) => view.state === state).length] as const).filter(([, count]) => count > 0);
  return [
    `sweep ${plan.sweep.name}: ${views.length} trial(s) on ${displayPath(plan.sweep.base)}, ${plan.sweep.parallel} in parallel, ranked by ${plan.sweep.metric} (${plan.sweep.goal})`,
    '',
    ...table,
    '',
    counts.map(([state, count]) => `${count} ${state}`).join(', '),
    pending.length === 0
      ? 'nothing to run'
      : `estimated: ${known.length ? duration(seconds) : 'unknown'} for the ${pending.length} trial(s) to run (data, training, test scoring and report)${known.length < pending.length ? ` (${pending.length - known.length} without earlier runs to estimate from)` : ''}`,
    '',
  ].join('\n');
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
