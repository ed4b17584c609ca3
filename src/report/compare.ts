/**
 * `attnlab compare`: runs side by side — headline metrics, validation curves overlaid, the
 * last epoch's attention-entropy distributions overlaid, and the config values that differ.
 * A sweep's parent run stands for its trials. Reads runs from a file store (or run folders).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError } from '../errors.js';
import { resolveTrackingTarget } from '../tracking/tracker.js';
import { compareCurvesSpec, compareEntropySpec, renderSvg } from './charts.js';
import { escapeHtml, formatSeconds, page, svgFigure } from './html.js';
import { lastMetric, readRunFolder, runFolderOf, runHistory, type RunFolder } from './run-folder.js';

/** The columns of the comparison, in order, with how each is shown. */
export const HEADLINE_METRICS = [
  { key: 'test_accuracy', title: 'test acc', format: 'percent' },
  { key: 'test_macro_f1', title: 'macro-F1', format: 'fixed' },
  { key: 'test_roc_auc', title: 'ROC AUC', format: 'fixed' },
  { key: 'test_pr_auc', title: 'PR AUC', format: 'fixed' },
  { key: 'best_val_accuracy', title: 'best val acc', format: 'percent' },
  { key: 'best_epoch', title: 'best epoch', format: 'integer' },
  { key: 'train_seconds', title: 'train time', format: 'seconds' },
] as const;

export interface ComparedRun {
  readonly runId: string;
  readonly runName: string;
  readonly status: string;
  readonly metrics: Readonly<Record<string, number | undefined>>;
}

export interface ConfigDifference {
  readonly key: string;
  /** One value per run, in the runs' order; undefined where a run has no such param. */
  readonly values: readonly (string | undefined)[];
}

export interface Comparison {
  readonly runs: readonly ComparedRun[];
  readonly differences: readonly ConfigDifference[];
}

const PARENT_TAG = 'mlflow.parentRunId';

/** Run folders in a file store, with the experiment each belongs to. */
function storeRuns(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((experiment) => experiment.isDirectory() && !experiment.name.startsWith('.'))
    .flatMap((experiment) =>
      readdirSync(join(root, experiment.name), { withFileTypes: true })
        .filter((run) => run.isDirectory() && existsSync(join(root, experiment.name, run.name, 'meta.yaml')))
        .map((run) => join(root, experiment.name, run.name)),
    );
}

export interface ResolveOptions {
  /** The tracking URI, as a config's `tracking.uri`; else `MLFLOW_TRACKING_URI`, else `./runs`. */
  readonly uri?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * Each reference as a run folder: a path to one (or to its artifacts), or a run id or unique
 * prefix in the store (`MLFLOW_TRACKING_URI`, else `./runs`). A sweep's parent run is replaced
 * by its trials, oldest first.
 */
export async function resolveRuns(references: readonly string[], options: ResolveOptions = {}): Promise<RunFolder[]> {
  const target = resolveTrackingTarget(options.uri, options.env ?? process.env, options.cwd);
  const root = target.kind === 'file' ? target.root : undefined;
  const all = root ? storeRuns(root) : [];
  const resolved: RunFolder[] = [];
  for (const reference of references) {
    const folder = runFolderOf(resolve(options.cwd ?? process.cwd(), reference));
    let dir = folder;
    if (!dir) {
      if (!root) {
        throw new DataError('compare-not-local', `"${reference}" is not a run folder; compare reads runs from a file store or folders (MLFLOW_TRACKING_URI is ${target.kind === 'rest' ? target.uri : ''})`);
      }
      const matches = all.filter((candidate) => candidate.split(/[\\/]/).at(-1)!.startsWith(reference));
      if (matches.length > 1) throw new DataError('run-ambiguous', `"${reference}" matches ${matches.length} runs in ${root}; give more of the run id`);
      if (matches.length === 0) throw new DataError('run-not-found', `no run "${reference}" in ${root}, and no run folder at that path; \`attnlab runs\` lists the runs`);
      dir = matches[0];
    }
    const run = await readRunFolder(dir);
    const children = await Promise.all(
      all.filter((candidate) => existsSync(join(candidate, 'tags', PARENT_TAG))).map((candidate) => readRunFolder(candidate)),
    );
    const trials = children.filter((child) => child.tags[PARENT_TAG] === run.runId).sort((a, b) => a.startTime - b.startTime);
    resolved.push(...(trials.length ? trials : [run]));
  }
  return resolved;
}

/** The headline metrics of each run and the config params that are not the same in all. */
export function compareRuns(runs: readonly RunFolder[]): Comparison {
  const compared = runs.map((run) => ({
    runId: run.runId,
    runName: run.runName,
    status: run.status,
    metrics: Object.fromEntries(HEADLINE_METRICS.map(({ key }) => [key, lastMetric(run, key)])),
  }));
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.params)))].sort();
  const differences = keys
    .map((key) => ({ key, values: runs.map((run) => run.params[key]) }))
    .filter((difference) => new Set(difference.values).size > 1);
  return { runs: compared, differences };
}

function formatValue(value: number | undefined, format: (typeof HEADLINE_METRICS)[number]['format']): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  if (format === 'percent') return `${(100 * value).toFixed(2)}%`;
  if (format === 'integer') return String(Math.round(value));
  if (format === 'seconds') return formatSeconds(value);
  return value.toFixed(4);
}

/** A run's label in tables and legends: its name and the start of its id. */
export function runLabel(run: { runName: string; runId: string }): string {
  return `${run.runName} (${run.runId.slice(0, 8)})`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

/** The comparison as terminal text: the metrics table, then the config values that differ. */
export function formatComparison(comparison: Comparison): string {
  const header = ['run', 'status', ...HEADLINE_METRICS.map((metric) => metric.title)];
  const rows = comparison.runs.map((run) => [runLabel(run), run.status, ...HEADLINE_METRICS.map(({ key, format }) => formatValue(run.metrics[key], format))]);
  const lines = [table([header, ...rows])];
  if (comparison.differences.length) {
    lines.push('', 'config differences:');
    const diffRows = comparison.differences.map((difference) => [difference.key, ...difference.values.map((value) => value ?? '–')]);
    lines.push(table([['key', ...comparison.runs.map((run) => run.runId.slice(0, 8))], ...diffRows]).replace(/^/gm, '  '));
  } else {
    lines.push('', 'config: the same in every run');
  }
  return `${lines.join('\n')}\n`;
}

/** The comparison page: self-contained, as the run reports. */
export async function renderComparisonHtml(comparison: Comparison, runs: readonly RunFolder[]): Promise<string> {
  const labels = runs.map(runLabel);
  const metricsHead = `<tr><th>run</th><th>status</th>${HEADLINE_METRICS.map((metric) => `<th>${escapeHtml(metric.title)}</th>`).join('')}</tr>`;
  const metricsRows = comparison.runs.map(
    (run, index) =>
      `<tr><th>${escapeHtml(labels[index])}</th><td>${escapeHtml(run.status)}</td>${HEADLINE_METRICS.map(({ key, format }) => `<td>${escapeHtml(formatValue(run.metrics[key], format))}</td>`).join('')}</tr>`,
  );
  const curves = svgFigure(await renderSvg(compareCurvesSpec(runs.map((run, index) => ({ run: labels[index], history: runHistory(run) })))), 'Validation loss and accuracy per epoch, one line per run');
  const withEntropy = runs.flatMap((run, index) => (run.entropy?.length ? [{ run: labels[index], histogram: run.entropy.at(-1)!.normalized.histogram }] : []));
  const entropy = withEntropy.length
    ? svgFigure(await renderSvg(compareEntropySpec(withEntropy)), 'Normalised attention entropy of each run’s last epoch', 'Mass to the left: attention on fewer words.')
    : '<p class="note">No run logged its attention entropy.</p>';
  const differences = comparison.differences.length
    ? `<table id="config-differences"><thead><tr><th>key</th>${labels.map((label) => `<th>${escapeHtml(label)}</th>`).join('')}</tr></thead><tbody>${comparison.differences
        .map((difference) => `<tr><th>${escapeHtml(difference.key)}</th>${difference.values.map((value) => `<td>${escapeHtml(value ?? '–')}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
    : '<p class="note">The config is the same in every run.</p>';
  const title = `Comparison of ${runs.length} runs`;
  return page(
    title,
    [
      `<h1>${escapeHtml(title)}</h1>`,
      `<section id="metrics"><h2>Headline metrics</h2><table id="headline-metrics"><thead>${metricsHead}</thead><tbody>${metricsRows.join('')}</tbody></table></section>`,
      `<section id="curves"><h2>Learning curves</h2>${curves}</section>`,
      `<section id="entropy"><h2>Attention entropy</h2>${entropy}</section>`,
      `<section id="config"><h2>Config differences</h2>${differences}</section>`,
    ].join('\n'),
  );
}

/**
 * A sweep's comparison page, for its parent run's artifacts: undefined when the trials are on a
 * tracking server (then `attnlab compare` over downloaded folders does it) or none finished.
 */
export async function sweepComparisonPage(parentRunId: string, uri?: string): Promise<string | undefined> {
  if (resolveTrackingTarget(uri).kind !== 'file') return undefined;
  const runs = (await resolveRuns([parentRunId], { uri })).filter((run) => run.runId !== parentRunId);
  return runs.length ? renderComparisonHtml(compareRuns(runs), runs) : undefined;
}
