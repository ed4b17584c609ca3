/**
 * A labelled corpus from the user's own files: the training file (and validation and test files
 * when there are any) read through `records.ts`, texts and labels checked, labels put in a
 * deterministic order, then the missing splits carved from train, stratified and seeded as for IMDB.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { DatasetContext, DatasetHelpers, Example, FileDatasetSpec, FileSplitParams, LabelledCorpus } from '../plugin-api.js';
import { InputError, readRecords, type RawRecord } from './records.js';
import { deriveSeed } from './random.js';
import { splitCorpus, stratifiedPick } from './split.js';

/** The file readers and splitting of `ctx.data`, the helpers every dataset plugin receives. */
export const FILE_DATASET_HELPERS: Pick<DatasetHelpers, 'fileSplits' | 'loadFiles' | 'splitCorpus'> = { fileSplits, loadFiles: loadFileDataset, splitCorpus };

function fileSplits(params: FileSplitParams): ReturnType<DatasetHelpers['fileSplits']> {
  const train = params.train || params.path;
  if (!train) throw new Error('give the data file as path (or train, with validation and test files if you have them)');
  return {
    train,
    validation: params.validation || undefined,
    test: params.test || undefined,
    labels: params.labels,
    valFraction: params.val_fraction,
    testFraction: params.test_fraction,
    trainLimit: params.train_limit,
    testLimit: params.test_limit,
  };
}

/** A text and its label as read, before the labels are numbered. */
interface ReadExample {
  readonly id: string;
  readonly text: string;
  readonly label: string;
  readonly record: RawRecord;
}

export async function loadFileDataset(spec: FileDatasetSpec, ctx: DatasetContext): Promise<LabelledCorpus> {
  const path = (file: string): string => (isAbsolute(file) ? file : resolve(ctx.configDir, file));
  if (spec.format === 'folders') spec = await withSplitFolders(spec, path(spec.train));
  const task = ctx.progress.start('reading data', undefined, 'rows');
  try {
    const train = await readSplit(spec, path(spec.train), task);
    const validation = spec.validation ? await readSplit(spec, path(spec.validation), task) : undefined;
    const test = spec.test ? await readSplit(spec, path(spec.test), task) : undefined;
    const labels = labelOrder(spec, train);
    const index = new Map(labels.map((label, i) => [label, i]));
    const toExamples = (examples: readonly ReadExample[]): Example[] =>
      examples.map((example) => {
        const label = index.get(example.label);
        if (label === undefined) {
          throw new InputError('data-unseen-label', where(example.record, labelColumn(spec)), `label "${example.label}" never occurs in the training file ${spec.train}; known labels: ${labels.join(', ')}`);
        }
        return { id: example.id, text: example.text, label };
      });
    return carve(spec, ctx.seed, toExamples(train), validation && toExamples(validation), test && toExamples(test), labels);
  } finally {
    task.done();
  }
}

/** `root/train/` and `root/test/` (and `root/validation/`), when `root` has them, are the splits' folders. */
async function withSplitFolders(spec: FileDatasetSpec, root: string): Promise<FileDatasetSpec> {
  const has = (name: string): Promise<boolean> => stat(join(root, name, '.')).then((info) => info.isDirectory(), () => false);
  if (!(await has('train'))) return spec;
  return {
    ...spec,
    train: join(root, 'train'),
    validation: spec.validation ?? ((await has('validation')) ? join(root, 'validation') : undefined),
    test: spec.test ?? ((await has('test')) ? join(root, 'test') : undefined),
  };
}

async function readSplit(spec: FileDatasetSpec, file: string, task: { tick(amount: number): void }): Promise<ReadExample[]> {
  const examples: ReadExample[] = [];
  for await (const record of readRecords(spec.format, file, spec)) {
    examples.push({ id: recordId(record), text: checkedText(record, spec), label: checkedLabel(record, spec), record });
    if (examples.length % 4096 === 0) task.tick(4096);
  }
  task.tick(examples.length % 4096);
  return examples;
}

export function recordId(record: RawRecord): string {
  return record.line === undefined ? record.file : `${record.file}:${record.line}`;
}

function where(record: RawRecord, column: string | undefined): { file: string; line?: number; unit: string; column?: string } {
  return { file: record.file, line: record.line, unit: record.unit, column };
}

function labelColumn(spec: FileDatasetSpec): string | undefined {
  return spec.format === 'folders' ? undefined : String(spec.label);
}

/** The record's text: a string with something besides white space. */
export function checkedText(record: RawRecord, spec: Pick<FileDatasetSpec, 'text' | 'format'>): string {
  const column = spec.format === 'folders' ? undefined : String(spec.text);
  const { text } = record;
  if (typeof text !== 'string') {
    throw new InputError('data-text-type', where(record, column), `the text must be a string, found ${text === null ? 'null' : typeof text} ${JSON.stringify(text)}`);
  }
  if (text.trim() === '') throw new InputError('data-text-empty', where(record, column), 'the text is empty');
  return text;
}

/** The record's label as a class name: a string, or an integer (a name from `labels` when given). */
function checkedLabel(record: RawRecord, spec: FileDatasetSpec): string {
  const { label } = record;
  const names = spec.labels ?? [];
  if (typeof label === 'number' && Number.isInteger(label)) {
    if (names.length === 0) return String(label);
    if (label < 0 || label >= names.length) {
      throw new InputError('data-label-range', where(record, labelColumn(spec)), `label ${label} has no name: labels lists ${names.length} (0 to ${names.length - 1})`);
    }
    return names[label];
  }
  if (typeof label === 'string' && label.trim() !== '') return label.trim();
  throw new InputError(
    'data-label-type',
    where(record, labelColumn(spec)),
    `the label must be a non-empty string or an integer, found ${label === null ? 'null' : typeof label === 'string' ? 'an empty string' : `${typeof label} ${JSON.stringify(label)}`}`,
  );
}

/** `labels` when the config lists them, else the training labels sorted (numerically when all are integers). */
function labelOrder(spec: FileDatasetSpec, train: readonly ReadExample[]): string[] {
  const seen = new Set(train.map((example) => example.label));
  const listed = spec.labels ?? [];
  if (listed.length > 0) {
    const duplicate = listed.find((label, i) => listed.indexOf(label) !== i);
    if (duplicate !== undefined) throw new InputError('data-label-duplicate', { file: spec.train }, `labels lists "${duplicate}" twice`);
    const unlisted = train.find((example) => !listed.includes(example.label));
    if (unlisted) throw new InputError('data-unseen-label', where(unlisted.record, labelColumn(spec)), `label "${unlisted.label}" is not in the config's labels (${listed.join(', ')})`);
    const empty = listed.find((label) => !seen.has(label));
    if (empty !== undefined) throw new InputError('data-empty-class', { file: spec.train }, `class "${empty}" (in labels) has no training example; remove it from labels or add examples`);
    return [...listed];
  }
  const labels = [...seen];
  if (labels.every((label) => /^-?\d+$/.test(label))) return labels.sort((a, b) => Number(a) - Number(b));
  return labels.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function carve(
  spec: FileDatasetSpec,
  seed: number,
  trainFile: readonly Example[],
  validationFile: readonly Example[] | undefined,
  testFile: readonly Example[] | undefined,
  labels: readonly string[],
): LabelledCorpus {
  if (labels.length < 2) throw new InputError('data-one-class', { file: spec.train }, `the training file holds only one class (${labels.join('')}); a classifier needs two or more`);
  let pool = trainFile;
  let test = testFile;
  if (!test) {
    const carved = stratifiedPick(pool, Math.round(pool.length * spec.testFraction), deriveSeed(seed, 'test'));
    test = carved.picked;
    pool = carved.rest;
  }
  if (validationFile) {
    const limited = splitCorpus({ labels, train: pool, test }, { valFraction: 0, trainLimit: spec.trainLimit, testLimit: spec.testLimit, seed });
    return { ...limited, validation: validationFile };
  }
  const corpus = splitCorpus({ labels, train: pool, test }, { valFraction: spec.valFraction, trainLimit: spec.trainLimit, testLimit: spec.testLimit, seed });
  for (const [split, examples, key] of [['validation', corpus.validation, 'val_fraction'], ['test', corpus.test, 'test_fraction']] as const) {
    if (examples.length === 0) throw new InputError('data-empty-split', { file: spec.train }, `the ${split} split is empty; give a ${split} file or raise ${key}`);
  }
  const trained = new Set(corpus.train.map((example) => example.label));
  const missing = labels.find((_, label) => !trained.has(label));
  if (missing !== undefined) throw new InputError('data-empty-class', { file: spec.train }, `class "${missing}" has no training example left after the splits; add examples or lower val_fraction/test_fraction`);
  return corpus;
}

/**
 * Every row of one labelled file, numbered by `labels` (a trained run's classes): a label not
 * among them is an error naming the file and line.
 */
export async function readLabelledFile(spec: Omit<FileDatasetSpec, 'train' | 'valFraction' | 'testFraction' | 'trainLimit' | 'testLimit'>, file: string, labels: readonly string[]): Promise<Example[]> {
  const full: FileDatasetSpec = { ...spec, labels: spec.labels ?? [], train: file, valFraction: 0, testFraction: 0, trainLimit: 0, testLimit: 0 };
  const index = new Map(labels.map((label, i) => [label, i]));
  const examples: Example[] = [];
  for await (const record of readRecords(spec.format, file, full)) {
    const name = checkedLabel(record, full);
    const label = index.get(name);
    if (label === undefined) throw new InputError('data-unseen-label', where(record, labelColumn(full)), `label "${name}" is not one of the run's classes (${labels.join(', ')})`);
    examples.push({ id: recordId(record), text: checkedText(record, full), label });
  }
  return examples;
}
