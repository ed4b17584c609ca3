/**
 * One experiment, end to end: resolved config → container → data → model → training → test
 * evaluation → tracking and report. `attnlab run` is a thin layer over `runExperiment`.
 */
import { basename, dirname, join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type { Container } from 'inversify';
import { stringify } from 'yaml';
import type { ResolvedConfig } from '../config/types.js';
import { configHash, readPluginSources, type PluginSource } from '../config/hash.js';
import { resolveConfigFile } from '../config/validate.js';
import type { Override } from '../config/load.js';
import { cacheDirectory, prepareWithCache } from '../data/cache.js';
import { selectBackend } from '../nn/backend.js';
import { kernelThreadsNotice, startKernelThreads } from '../nn/threads/pool.js';
import type { EmbeddingTable, LabelledCorpus, Model, ProgressReporter, Tf } from '../plugin-api.js';
import { prepareData, type PreparedData } from '../data/prepare.js';
import { buildTokenizer, type ConfiguredTokenizer } from '../data/token-plugin.js';
import { buildPlugin } from '../plugins/container.js';
import { buildModel, type BuiltModel } from './build.js';
import { ownerTags, startHeartbeat } from '../tracking/heartbeat.js';
import { standardTags, flattenParams } from '../tracking/run-record.js';
import { openTracker, resolveTrackingTarget, type Tracker } from '../tracking/tracker.js';
import { checkStoreWritable } from '../tracking/writable.js';
import { checkPluginsOnTinyBatch, checkTrainable } from './preflight.js';
import { WriteGuardedTracker } from './guarded-tracker.js';
import { checkpointFiles } from '../train/checkpoint.js';
import { argMax, evaluate, type Evaluation } from '../train/evaluate.js';
import { train, type EpochResult } from '../train/trainer.js';
import { epochMetrics, RunReporter, type ReportedData } from './run-report.js';
import { InterruptedError, interruption, type Interruption } from './interrupt.js';
import type { ClassificationMetrics } from '../report/metrics.js';

export interface RunOptions {
  readonly progress: ProgressReporter;
  /** One-line notices for the user (backend, data sizes, where the run is recorded). */
  readonly log: (message: string) => void;
  /** Tags added to the run, e.g. a sweep's trial identity. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly parentRunId?: string;
  /** Called once the run exists in the tracking store, before any training. */
  readonly onRunStarted?: (runId: string) => void | Promise<void>;
  /** How to resume, said when a signal stops the run; "run the same command again" by default. */
  readonly resumeHint?: string;
  /** Opens the run in its store; `openTracker` by default (another store, or a failing one in tests). */
  readonly openTracker?: typeof openTracker;
  /** Threads the kernels split their work over (`--threads`), instead of `train.threads`. */
  readonly threads?: number;
}

export interface RunResult {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactDir?: string;
  readonly config: ResolvedConfig;
  readonly backend: string;
  /** The threads the kernels split their work over: `--threads`, else `train.threads`, else all cores. */
  readonly threads: number;
  readonly epochs: readonly EpochResult[];
  readonly bestEpoch: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly testMacroF1: number;
  /** Where `report.html` was written: a local path (file store) or the run's artifact path. */
  readonly reportPath: string;
}

/** Validates the config (nothing is written when it is wrong), then runs it. */
export async function runExperiment(file: string, overrides: readonly Override[], options: RunOptions): Promise<RunResult> {
  const { config, container, file: configFile } = await resolveConfigFile(file, overrides);
  return runResolved(config, container, dirname(configFile), options);
}

export async function runResolved(config: ResolvedConfig, container: Container, configDir: string, options: RunOptions): Promise<RunResult> {
  // Everything that can fail on the user's input happens before the run exists in the store.
  checkStoreWritable(resolveTrackingTarget(config.tracking.uri));
  const { tf, backend, kernels } = await selectBackend(config.backend);
  options.log(`compute backend: ${backend}; kernels: ${kernels}`);
  const threads = await startKernelThreads(options.threads ?? config.train.threads);
  options.log(kernelThreadsNotice(threads));
  const startTime = Date.now();
  const stop = interruption({ onSignal: (name) => options.log(`${name} received: stopping after the current batch; the run will be marked KILLED`) });
  try {
    await checkPluginsOnTinyBatch(tf, config, container);
    const loading = performance.now();
    const data = await loadData(config, container, configDir, options);
    checkTrainable(data);
    const dataSeconds = (performance.now() - loading) / 1000;
    const built = await buildModel(tf, config, container, { vectors: data.embeddings, dim: data.dim, trainable: data.trainable }, data.labels.length);
    try {
      // A signal while loading leaves no run behind.
      stop.signal.throwIfAborted();
      return await trackRun(tf, backend, config, data, built, { ...options, startTime, dataSeconds, threads }, stop);
    } finally {
      built.dispose();
    }
  } finally {
    stop.dispose();
  }
}

async function trackRun(
  tf: Tf,
  backend: string,
  config: ResolvedConfig,
  data: LoadedData,
  built: BuiltModel,
  options: RunOptions & { readonly startTime: number; readonly dataSeconds: number; readonly threads: number },
  stop: Interruption,
): Promise<RunResult> {
  const plugins = readPluginSources(config.plugins);
  const tracker = new WriteGuardedTracker(
    await (options.openTracker ?? openTracker)({
      uri: config.tracking.uri,
      experiment: config.tracking.experiment,
      runName: config.name,
      parentRunId: options.parentRunId,
      tags: { ...(await standardTags({ runName: config.name, configHash: configHash(config), backend })), ...pluginTags(plugins), ...ownerTags(), ...options.tags },
    }),
  );
  options.log(`run ${tracker.runId}${tracker.artifactDir ? ` → ${tracker.artifactDir}` : ''}`);
  await options.onRunStarted?.(tracker.runId);
  const stopHeartbeat = startHeartbeat(tracker);
  try {
    await tracker.logParams(runParams(config, options.threads));
    // A dataset that found its labels in the data records their order with the run, so that a reload reads them back the same.
    const listed = config.data.labels;
    const recorded = Array.isArray(listed) && listed.length === 0 ? { ...config, data: { ...config.data, labels: data.labels } } : config;
    await tracker.logArtifact('config.yaml', stringify(recorded));
    // The plugins' code with the config: a run can be reproduced from the store alone.
    for (const plugin of plugins) await tracker.logArtifact(`plugins/${basename(plugin.file)}`, plugin.text);
    await tracker.logMetrics(
      {
        oov_rate: data.oovRate,
        vocabulary_size: data.vocabulary.length,
        data_seconds: options.dataSeconds,
        train_reviews: data.train.labels.length,
        validation_reviews: data.validation.labels.length,
        test_reviews: data.test.labels.length,
      },
      0,
    );
    const result = await trainBuilt(tf, backend, config, data, built, tracker, options, stop.signal);
    stop.signal.throwIfAborted();
    stopHeartbeat();
    await tracker.end('FINISHED');
    return result;
  } catch (error) {
    stopHeartbeat();
    if (stop.received) {
      await tracker.end('KILLED');
      const resume = options.resumeHint ?? 'to train it again, run the same command again (a run starts from scratch)';
      throw new InterruptedError(stop.received, `interrupted by ${stop.received}: run ${tracker.runId} marked KILLED and its records flushed; ${resume}`);
    }
    throw await tracker.fail(error);
  } finally {
    stopHeartbeat();
  }
}

/**
 * The config as MLflow params, `train.threads` holding the count the run used (from `--threads`,
 * the config or the cores), so that runs compare by it in MLflow; the config artifact and the
 * config's hash keep it as written, since the count changes how fast a run is, not what it is.
 */
function runParams(config: ResolvedConfig, threads: number): Record<string, string> {
  return flattenParams({ ...config, train: { ...config.train, threads } });
}

/** `train_penalty_<key>`: each regulariser's share of `train_loss`, by its key under `regularizers:`. */
function penaltyMetrics(config: ResolvedConfig, epoch: EpochResult): Record<string, number> {
  // The built regularisers follow the config's keys in order (see buildModel).
  return Object.fromEntries(Object.keys(config.regularizers).map((key, index) => [`train_penalty_${key}`, epoch.trainPenalties[index] ?? Number.NaN]));
}

/** `attnlab.plugin.<file name>.sha256` for each user plugin: which code the run trained with. */
function pluginTags(plugins: readonly PluginSource[]): Record<string, string> {
  return Object.fromEntries(plugins.map((plugin) => [`attnlab.plugin.${basename(plugin.file)}.sha256`, plugin.sha256]));
}

async function trainBuilt(
  tf: Tf,
  backend: string,
  config: ResolvedConfig,
  data: LoadedData,
  { model, probe, optimizer, regularizers, embeddings }: BuiltModel,
  tracker: Tracker,
  options: RunOptions & { readonly startTime: number; readonly threads: number },
  signal: AbortSignal,
): Promise<RunResult> {
  const reporter = new RunReporter(config, data, tracker);
  const trained = await train({
    tf,
    model,
    optimizer,
    regularizers,
    train: data.train,
    validation: data.validation,
    settings: config.train,
    seed: config.seed,
    progress: options.progress,
    signal,
    onEpoch: async (epoch) => {
      await tracker.logMetrics({ ...epochMetrics(epoch, await reporter.recordEpoch(epoch)), ...penaltyMetrics(config, epoch), val_seconds: epoch.validationSeconds }, epoch.epoch);
      options.log(formatEpoch(epoch, config.train.lr, data.labels.length));
    },
  });
  const scoring = performance.now();
  const test = evaluate(tf, model, data.test, {
    batchSize: config.train.eval_batch_size,
    batchTokens: config.train.eval_batch_tokens,
    maxLength: config.train.max_length,
    progress: options.progress,
    label: `scoring the test split (epoch ${trained.bestEpoch})`,
  });
  const testSeconds = (performance.now() - scoring) / 1000;
  signal.throwIfAborted();
  const best = trained.epochs[trained.bestEpoch - 1];
  const trainSeconds = trained.epochs.reduce((sum, epoch) => sum + epoch.seconds, 0);
  await tracker.logMetrics({ test_accuracy: test.accuracy, test_loss: test.loss, best_epoch: trained.bestEpoch, best_val_accuracy: best?.validation.accuracy ?? Number.NaN, train_seconds: trainSeconds, test_seconds: testSeconds }, trained.bestEpoch);
  await tracker.logArtifact('test-predictions.csv', testPredictions(data, test));
  const reporting = performance.now();
  await saveCheckpoint(tracker, model, data, embeddings);
  const facts = { runId: tracker.runId, startTime: options.startTime, backend, bestEpoch: trained.bestEpoch, epochsRun: trained.epochs.length, trainSeconds };
  const classification = await reporter.writeReport(test, tf, { model, probe }, facts, options.progress);
  await tracker.logMetrics({ report_seconds: (performance.now() - reporting) / 1000 }, trained.bestEpoch);
  options.log(
    `test accuracy ${(100 * test.accuracy).toFixed(2)}%, macro-F1 ${classification.macroF1.toFixed(4)}` +
      `${classification.binary ? `, ROC AUC ${classification.binary.rocAuc.toFixed(4)}` : ''} (best epoch ${trained.bestEpoch} on validation)`,
  );
  if (data.labels.length > 2) options.log(formatClassScores(classification));
  const reportPath = tracker.artifactDir ? join(tracker.artifactDir, 'report.html') : `report.html in the artifacts of run ${tracker.runId}`;
  return {
    runId: tracker.runId,
    experimentId: tracker.experimentId,
    artifactDir: tracker.artifactDir,
    config,
    backend,
    threads: options.threads,
    epochs: trained.epochs,
    bestEpoch: trained.bestEpoch,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    testMacroF1: classification.macroF1,
    reportPath,
  };
}

export interface LoadedData extends ReportedData {
  readonly corpus: LabelledCorpus;
  readonly trainable: boolean;
}

export async function loadData(
  config: ResolvedConfig,
  container: Container,
  configDir: string,
  options: Pick<RunOptions, 'progress' | 'log'>,
): Promise<LoadedData> {
  const dataContext = { cacheDir: cacheDirectory(), progress: options.progress, seed: config.seed, configDir };
  const dataset = await buildPlugin(container, 'dataset', config.data, dataContext);
  const embeddings = await buildPlugin(container, 'embeddings', config.embeddings, dataContext);
  const tokenizer = await buildTokenizer(container, config.tokenizer);
  const corpus = await dataset.load();
  const fromTraining = embeddings.vocabularyFromTraining;
  const reviews = corpus.train.length + corpus.validation.length + corpus.test.length;
  const preparing = options.progress.start('tokenising and indexing the splits', reviews, 'reviews');
  // A vocabulary drawn from the training split is cheap to rebuild and keyed by the data itself: only fixed tables are cached.
  const prepared = fromTraining
    ? await prepareData(corpus, { ...fromTraining, load: (words: readonly string[]) => embeddings.load(words) }, { maxLength: config.train.max_length, tokenizer })
    : await prepareFromTable(corpus, await embeddings.load(), config, { cacheDir: dataContext.cacheDir, tokenizer });
  preparing.tick(reviews);
  preparing.done();
  options.log(
    `data: ${corpus.train.length} train, ${corpus.validation.length} validation, ${corpus.test.length} test reviews; ` +
      `vocabulary ${prepared.vocabulary.length}, OOV ${(100 * prepared.oovRate).toFixed(2)}%`,
  );
  return { ...prepared, corpus, trainable: embeddings.trainable };
}

/** Tokenises and indexes the splits against a fixed table, through the tokenised-dataset cache. */
function prepareFromTable(
  corpus: LabelledCorpus,
  table: EmbeddingTable,
  config: ResolvedConfig,
  { cacheDir, tokenizer }: { readonly cacheDir: string; readonly tokenizer: ConfiguredTokenizer },
): Promise<PreparedData> {
  return prepareWithCache(corpus, table, {
    maxLength: config.train.max_length,
    cacheDir,
    tokenizer,
    embeddings: { block: config.embeddings, seed: config.seed, dim: table.dim, size: table.size },
  });
}

async function saveCheckpoint(tracker: Tracker, model: Model, data: LoadedData, embeddings: tfjs.Tensor2D | tfjs.Variable): Promise<void> {
  const variables = model.variables.filter((variable) => variable !== embeddings);
  const matrix = data.trainable ? ((await embeddings.data()) as Float32Array) : data.embeddings;
  for (const [name, content] of Object.entries(checkpointFiles(variables, data.vocabulary, matrix, data.labels))) {
    await tracker.logArtifact(`checkpoint/${name}`, content);
  }
}

/** Each test example's id, true and predicted label: `id,label,predicted`. */
function testPredictions(data: LoadedData, test: Evaluation): string {
  const classes = data.labels.length;
  const cell = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const rows = data.corpus.test.map((example, index) => {
    const predicted = argMax(test.probabilities.subarray(index * classes, (index + 1) * classes));
    return [cell(example.id), cell(data.labels[example.label]), cell(data.labels[predicted])].join(',');
  });
  return `id,label,predicted\n${rows.join('\n')}\n`;
}

/** Test macro-F1 and each class's precision, recall and F1, one line. */
function formatClassScores(metrics: ClassificationMetrics): string {
  const percent = (value: number): string => (Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : '–');
  const classes = metrics.perClass.map((score) => `${score.name} P ${percent(score.precision)} R ${percent(score.recall)} F1 ${percent(score.f1)}`);
  return `test macro-F1 ${percent(metrics.macroF1)} · ${classes.join(' · ')}`;
}

/** The learning rate shows once `lr_decay` has moved it from `lr`; macro-F1 shows with more than two classes. */
function formatEpoch(epoch: EpochResult, lr: number, classes: number): string {
  const percent = (value: number): string => `${(100 * value).toFixed(2)}%`;
  return (
    `epoch ${epoch.epoch}: train loss ${epoch.trainLoss.toFixed(4)} acc ${percent(epoch.trainAccuracy)} · ` +
    `val loss ${epoch.validation.loss.toFixed(4)} acc ${percent(epoch.validation.accuracy)}${classes > 2 ? ` F1 ${percent(epoch.validation.macroF1)}` : ''}${epoch.improved ? ' *' : ''} · ` +
    `${epoch.seconds.toFixed(1)} s (${Math.round(epoch.itemsPerSecond)} reviews/s)` +
    (epoch.learningRate === lr ? '' : ` · lr ${epoch.learningRate.toPrecision(3)}`)
  );
}
