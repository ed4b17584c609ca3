/** `attnlab eval`: a finished run's checkpoint scored again on its dataset. */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { resolveConfigFile } from '../config/validate.js';
import { cacheDirectory } from '../data/cache.js';
import { readLabelledFile } from '../data/files.js';
import { formatOf, InputError } from '../data/records.js';
import { classificationMetrics, type ClassScores } from '../report/metrics.js';
import { encodeWithVocabulary } from '../data/prepare.js';
import type { Example, LabelledCorpus } from '../plugin-api.js';
import { buildPlugin } from '../plugins/container.js';
import { createProgress } from '../progress.js';
import { evaluate } from '../train/evaluate.js';
import { restoreRun, type RestoredRun } from './restore.js';

export interface RunEvaluation {
  readonly name: string;
  readonly artifactDir: string;
  readonly split: 'test' | 'validation';
  readonly reviews: number;
  /** The file or data block scored instead of the run's own split. */
  readonly data?: string;
  readonly accuracy: number;
  readonly loss: number;
  readonly macroF1: number;
  readonly perClass: readonly ClassScores[];
}

/**
 * Scores the run on its own split, or with `data` on another labelled set: a file (CSV, TSV,
 * JSONL, Parquet, or a folder of class folders; every row is scored, its `text` and `label`
 * columns) or a YAML data block such as `{ type: csv, path: other.csv, text: review }` (its test split).
 */
export async function evaluateRun(reference: string, split: 'test' | 'validation', data?: string): Promise<RunEvaluation> {
  const run = await restoreRun(reference);
  try {
    const examples = data === undefined ? (await loadCorpus(run))[split] : await loadOtherData(run, data);
    const encoded = encodeWithVocabulary(examples, run.checkpoint.vocabulary, run.config.train.max_length, run.tokenizer);
    const result = evaluate(run.tf, run.built.model, encoded, { batchSize: run.config.train.eval_batch_size, batchTokens: run.config.train.eval_batch_tokens, maxLength: run.config.train.max_length });
    const labels = run.checkpoint.manifest.labels;
    const metrics = classificationMetrics(result.probabilities, encoded.labels, labels);
    return {
      name: run.config.name,
      artifactDir: run.artifactDir,
      split: data === undefined ? split : 'test',
      ...(data === undefined ? {} : { data }),
      reviews: encoded.size,
      accuracy: result.accuracy,
      loss: result.loss,
      macroF1: metrics.macroF1,
      perClass: metrics.perClass,
    };
  } finally {
    run.built.dispose();
  }
}

async function loadOtherData(run: RestoredRun, data: string): Promise<Example[]> {
  const labels = run.checkpoint.manifest.labels;
  const isBlock = /^\s*\{/.test(data) || /\.ya?ml$/i.test(data);
  if (!isBlock) {
    const path = resolve(data);
    const isFolder = await stat(path).then((info) => info.isDirectory(), () => false);
    const detected = isFolder ? { format: 'folders' as const } : formatOf(path);
    if (!detected) throw new InputError('data-format', { file: data }, 'cannot tell the format from the name; name it .csv, .tsv, .jsonl or .parquet (optionally .gz), or give a YAML data block');
    return readLabelledFile({ ...detected, text: 'text', label: 'label' }, path, labels);
  }
  const text = /\.ya?ml$/i.test(data) ? await readFile(data, 'utf8') : data;
  const block: unknown = parse(text);
  const { config, container } = await resolveConfigFile(join(run.artifactDir, 'config.yaml'), [{ path: 'data', value: block, text: `--data ${data}` }]);
  const corpus = await loadCorpus({ ...run, config, container });
  return corpus.test.map((example) => {
    const label = labels.indexOf(corpus.labels[example.label]);
    if (label < 0) throw new InputError('data-unseen-label', { file: example.id }, `label "${corpus.labels[example.label]}" is not one of the run's classes (${labels.join(', ')})`);
    return { ...example, label };
  });
}

/** The run's dataset, split with the run's seed exactly as during training. */
export async function loadCorpus(run: Pick<RestoredRun, 'config' | 'container'>): Promise<LabelledCorpus> {
  const context = { cacheDir: cacheDirectory(), progress: createProgress({ plainLines: false }), seed: run.config.seed, configDir: process.cwd() };
  const dataset = await buildPlugin(run.container, 'dataset', run.config.data, context);
  return dataset.load();
}
