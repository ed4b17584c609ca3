/**
 * A finished run read back from its MLflow file-store folder (`<store>/<experiment>/<run>/`):
 * meta, params, tags, every metric's history and the artifacts the reports need. What the
 * reports' headers and `attnlab compare` show of runs already written.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { EpochMetrics } from './charts.js';
import type { EpochEntropy } from './entropy.js';
import type { RunHeader } from './html.js';

export interface MetricHistoryPoint {
  readonly step: number;
  readonly value: number;
}

export interface RunFolder {
  readonly dir: string;
  readonly runId: string;
  readonly runName: string;
  readonly experimentId: string;
  /** MLflow's status code name: FINISHED, FAILED, … */
  readonly status: string;
  readonly startTime: number;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, readonly MetricHistoryPoint[]>>;
  /** Each epoch's attention-entropy summaries, when the run logged them. */
  readonly entropy?: readonly EpochEntropy[];
}

const STATUS_NAMES: Readonly<Record<number, string>> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };

/** The run folder of a run folder, its `artifacts/` folder, or undefined. */
export function runFolderOf(path: string): string | undefined {
  if (existsSync(join(path, 'meta.yaml')) && existsSync(join(path, 'metrics'))) return path;
  if (basename(path) === 'artifacts' && existsSync(join(dirname(path), 'meta.yaml'))) return dirname(path);
  return undefined;
}

async function files(base: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(base, prefix), { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await files(base, relative)));
    else found.push(relative);
  }
  return found;
}

async function values(dir: string): Promise<Record<string, string>> {
  const read: Record<string, string> = {};
  for (const key of await files(dir)) read[key] = await readFile(join(dir, key), 'utf8');
  return read;
}

function pythonFloat(text: string): number {
  return text === 'nan' ? Number.NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
}

export async function readRunFolder(dir: string): Promise<RunFolder> {
  const meta = parse(await readFile(join(dir, 'meta.yaml'), 'utf8'), { version: '1.1' }) as {
    run_id: string;
    run_name: string;
    experiment_id: string;
    status: number;
    start_time: number;
  };
  const metrics: Record<string, MetricHistoryPoint[]> = {};
  for (const key of await files(join(dir, 'metrics'))) {
    const lines = (await readFile(join(dir, 'metrics', key), 'utf8')).trim().split('\n').filter(Boolean);
    metrics[key] = lines.map((line) => {
      const [, value, step] = line.split(' ');
      return { step: Number(step), value: pythonFloat(value) };
    });
  }
  const entropyFile = join(dir, 'artifacts', 'attention', 'entropy-by-epoch.json');
  const entropy = existsSync(entropyFile) ? (JSON.parse(await readFile(entropyFile, 'utf8')) as EpochEntropy[]) : undefined;
  return {
    dir,
    runId: meta.run_id,
    runName: meta.run_name,
    experimentId: String(meta.experiment_id),
    status: STATUS_NAMES[meta.status] ?? String(meta.status),
    startTime: Number(meta.start_time),
    params: await values(join(dir, 'params')),
    tags: await values(join(dir, 'tags')),
    metrics,
    entropy,
  };
}

/** The last logged value of `key`. */
export function lastMetric(run: RunFolder, key: string): number | undefined {
  return run.metrics[key]?.at(-1)?.value;
}

/** Per-epoch train and validation loss and accuracy, from the metrics' histories. */
export function runHistory(run: RunFolder): EpochMetrics[] {
  const byEpoch = new Map<number, { epoch: number; trainLoss?: number; valLoss?: number; trainAccuracy?: number; valAccuracy?: number }>();
  const keys = { train_loss: 'trainLoss', val_loss: 'valLoss', train_accuracy: 'trainAccuracy', val_accuracy: 'valAccuracy' } as const;
  for (const [metric, field] of Object.entries(keys)) {
    for (const point of run.metrics[metric] ?? []) {
      const row = byEpoch.get(point.step) ?? { epoch: point.step };
      row[field] = point.value;
      byEpoch.set(point.step, row);
    }
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** The header facts of a run written by `attnlab run`. */
export function runHeaderOf(run: RunFolder): RunHeader {
  const count = (key: string): number | undefined => {
    const value = lastMetric(run, key);
    return value === undefined ? undefined : value;
  };
  const [train, validation, test] = [count('train_reviews'), count('validation_reviews'), count('test_reviews')];
  const epochs = run.metrics.val_accuracy?.length;
  return {
    runName: run.runName,
    runId: run.runId,
    startTime: run.startTime,
    dataset: run.params['data.type'],
    splits: train !== undefined && validation !== undefined && test !== undefined ? { train, validation, test } : undefined,
    testAccuracy: lastMetric(run, 'test_accuracy'),
    testMacroF1: lastMetric(run, 'test_macro_f1'),
    bestEpoch: lastMetric(run, 'best_epoch'),
    epochsRun: epochs,
    trainSeconds: lastMetric(run, 'train_seconds'),
    backend: run.tags['attnlab.backend'],
  };
}
