/**
 * The contract between attnlab's core and its plugins.
 *
 * A plugin is one file whose default export is a {@link PluginDescriptor}: its kind, its name,
 * the JSON Schema of its params and a `create` factory. Plugin files import only *types* from
 * attnlab and receive everything they run with (tfjs, attnlab's tensor ops, their collaborators)
 * through the factory's context, so a plugin outside this package needs no install of its own.
 *
 * Tensor conventions, used by every interface below:
 * - `ids`   int32   [batch, time]        token ids, 0 = PAD
 * - `mask`  float32 [batch, time]        1 on real tokens, 0 on padding
 * - `x`     float32 [batch, time, dim]   token representations
 * - attention weights float32 [batch, time], exactly 0 on padding, summing to 1 over real tokens
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { NnOps } from './nn/ops.js';

export type Tf = typeof tfjs;
export type { NnOps };
/** tfjs's tensor types, for plugin files that import nothing but attnlab (`import type { Tensor3D } from 'attnlab'`). */
export type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, TensorLike, Variable } from '@tensorflow/tfjs';

/** The kinds of plugins, each with the folder `plugins/<kind>/` holding its built-ins. */
export const PLUGIN_KINDS = [
  'dataset',
  'embeddings',
  'model',
  'encoder',
  'pooler',
  'value',
  'head',
  'regularizer',
  'optimizer',
  'tokenizer',
] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/**
 * Schema keyword marking a property as a nested plugin block (`{ type: <name>, ...params }`),
 * e.g. a model's `encoder`. The core validates the block against the named plugin's schema
 * and fills its defaults; the owning plugin builds it with `ctx.build`.
 */
export const SLOT_KEYWORD = 'x-plugin-kind';

/** A nested plugin block as a factory receives it: validated, defaults filled. */
export interface PluginBlock {
  readonly type: string;
  readonly [param: string]: unknown;
}

/** Everything a factory may use besides its params. */
export interface BaseContext {
  /** The tfjs instance the run computes with (backend already selected). */
  readonly tf: Tf;
  /** attnlab's tensor ops: masked softmax, fused recurrent layers, initialisers. */
  readonly nn: NnOps;
  /** Seed for this component's random initialisation, derived from the run's seed. */
  readonly seed: number;
  /** Builds a nested plugin block (a slot of this plugin's schema). */
  build<K extends PluginKind>(kind: K, block: { readonly [key: string]: unknown }, context: ExtraContext[K]): Promise<Created[K]>;
}

/** A trainable part of a model. */
export interface Module {
  /** Trainable variables, each with a unique, stable name (used by checkpoints and L2). */
  readonly variables: readonly tfjs.Variable[];
}

/** One labelled text. `label` indexes {@link LabelledCorpus.labels}. */
export interface Example {
  readonly id: string;
  readonly text: string;
  readonly label: number;
  /** Extra per-example facts a dataset keeps (IMDB: the star rating). */
  readonly meta?: Readonly<Record<string, string | number>>;
}

export interface LabelledCorpus {
  readonly labels: readonly string[];
  readonly train: readonly Example[];
  /** Carved from train; the only split used for early stopping and model selection. */
  readonly validation: readonly Example[];
  /** Used once, for the final number. */
  readonly test: readonly Example[];
}

/** Progress of long work (downloads, parsing); the core draws it as a bar when on a TTY. */
export interface ProgressReporter {
  start(label: string, total?: number, unit?: string): ProgressTask;
}
export interface ProgressTask {
  tick(amount: number): void;
  /** Text shown after the numbers, e.g. `loss 0.312`; replaces the previous one. */
  status(text: string): void;
  done(): void;
}

export interface DatasetContext {
  readonly cacheDir: string;
  readonly progress: ProgressReporter;
  /** The run's seed, for splits and sampling. */
  readonly seed: number;
  /** The config file the block comes from, to resolve relative paths. */
  readonly configDir: string;
}

/** File formats the core reads labelled texts from; `folders` is one folder per class. */
export type DataFormat = 'csv' | 'jsonl' | 'parquet' | 'folders';

/** How to find the text and label of each row. */
export interface RecordReadOptions {
  /** Column name (CSV header, Parquet column), dotted field path (JSONL), or 0-based CSV column index. */
  readonly text: string | number;
  /** As `text`; absent when only texts are read (scoring new texts). */
  readonly label?: string | number;
  /** CSV: field delimiter (default from the file name: tab for `.tsv`, else comma). */
  readonly delimiter?: string;
  /** CSV: quote character; empty for none. */
  readonly quote?: string;
  /** CSV: whether the first row names the columns (default true). */
  readonly header?: boolean;
  /** Folders: how the files are encoded. */
  readonly encoding?: 'utf-8' | 'latin1';
}

/** A dataset of the user's own files: where they are, how to read them, how to split them. */
export interface FileDatasetSpec extends RecordReadOptions {
  readonly format: DataFormat;
  /** The training file (or folder); validation and test are carved from it when they have no file. Relative to the config. */
  readonly train: string;
  readonly validation?: string;
  readonly test?: string;
  /** Class names in order; empty: the training labels sorted (numerically when all are integers). With integer labels, label i is `labels[i]`. */
  readonly labels?: readonly string[];
  /** Share of the training pool carved out (stratified, seeded) as validation when there is no validation file. */
  readonly valFraction: number;
  /** Share of the training file carved out (stratified, seeded) as test when there is no test file. */
  readonly testFraction: number;
  /** Training pool size (validation included) after sampling, stratified and seeded; 0 = all. */
  readonly trainLimit: number;
  /** Test size after sampling, stratified and seeded; 0 = all. */
  readonly testLimit: number;
}

/** The file and split params every file dataset plugin declares, as its schema names them. */
export interface FileSplitParams {
  readonly path: string;
  readonly train: string;
  readonly validation: string;
  readonly test: string;
  readonly labels: readonly string[];
  readonly val_fraction: number;
  readonly test_fraction: number;
  readonly train_limit: number;
  readonly test_limit: number;
}

/** What the core gives dataset plugins to read and split data with. */
export interface DatasetHelpers {
  /** The files and split settings of `params` for {@link loadFiles}; refuses params that name no training file. */
  fileSplits(params: FileSplitParams): Omit<FileDatasetSpec, 'format' | keyof RecordReadOptions>;
  /** Reads the files of `spec` (train first), checks texts and labels, and splits them; errors name file, line and column. */
  loadFiles(spec: FileDatasetSpec, ctx: DatasetContext): Promise<LabelledCorpus>;
  /** Applies the limits to official train/test sets and carves validation from train, stratified and seeded. */
  splitCorpus(raw: { readonly labels: readonly string[]; readonly train: readonly Example[]; readonly test: readonly Example[] }, options: { readonly valFraction: number; readonly trainLimit?: number; readonly testLimit?: number; readonly seed: number }): LabelledCorpus;
}

/** A dataset factory's context: the core's readers and splitting come with it. */
export interface DatasetFactoryContext extends DatasetContext {
  readonly data: DatasetHelpers;
}
export interface Dataset {
  load(): Promise<LabelledCorpus>;
}

export interface EmbeddingsContext extends DatasetContext {}
/** Pretrained vectors, looked up by token. */
export interface EmbeddingTable {
  readonly dim: number;
  /** Row of `token` in `vectors`, or -1 when unknown. */
  indexOf(token: string): number;
  /** Row-major float32 [size, dim]. */
  readonly vectors: Float32Array;
  readonly size: number;
}
export interface Embeddings {
  /** Identity of the source, e.g. a file's path, size and mtime; keys the binary cache. */
  readonly sourceId: string;
  /** Whether the model may fine-tune the vectors. */
  readonly trainable: boolean;
  /**
   * Present when the vocabulary comes from the training split: the core counts the training
   * tokens and calls `load` with those seen at least `minCount` times, the `maxSize` most
   * frequent (0 = all), most frequent first.
   */
  readonly vocabularyFromTraining?: { readonly minCount: number; readonly maxSize: number };
  /** `words`: the training vocabulary, when `vocabularyFromTraining` asks for it. */
  load(words?: readonly string[]): Promise<EmbeddingTable>;
}

/** Maps token representations to contextual ones. */
export interface Encoder extends Module {
  readonly outputDim: number;
  /**
   * True when each output position depends on its own input alone (no context, no dropout): the
   * model then computes the value transform once per distinct token of a batch.
   */
  readonly tokenwise?: boolean;
  /** x [batch, time, inputDim], mask [batch, time] → [batch, time, outputDim]. */
  apply(x: tfjs.Tensor3D, mask: tfjs.Tensor2D, training: boolean): tfjs.Tensor3D;
}

/**
 * Decides where to look: attention weights over the encoder's outputs. The model pools the value
 * transform under these weights; with several heads, each head pools separately and the pooled
 * vectors are concatenated (`heads × value dim` into the head).
 */
export interface Pooler extends Module {
  /** Attention heads; 1 when absent. */
  readonly heads?: number;
  /**
   * h [batch, time, dim], mask [batch, time] → weights [batch, time], or [batch, heads, time]
   * with several heads; 0 on padding, each row summing to 1 over the real tokens.
   */
  attend(h: tfjs.Tensor3D, mask: tfjs.Tensor2D, training: boolean): tfjs.Tensor2D | tfjs.Tensor3D;
}

/** The value transform v_θ: what is averaged under the attention weights. */
export interface ValueTransform extends Module {
  readonly outputDim: number;
  /** h [batch, time, inputDim] → [batch, time, outputDim], each position transformed on its own. */
  apply(h: tfjs.Tensor3D, training: boolean): tfjs.Tensor3D;
}

export interface Head extends Module {
  /** t [batch, inputDim] → logits [batch, classes]. */
  apply(t: tfjs.Tensor2D, training: boolean): tfjs.Tensor2D;
}

/** What one forward pass produced, as regularisers and analyses see it. */
export interface ForwardOutput {
  readonly logits: tfjs.Tensor2D;
  /** [batch, time]: the pooler's weights (averaged over heads when there are several). */
  readonly attention: tfjs.Tensor2D;
  /** [batch, heads, time]: each head's weights, for multi-head poolers. */
  readonly headAttention?: tfjs.Tensor3D;
  readonly mask: tfjs.Tensor2D;
}

export interface Model extends Module {
  /** ids [batch, time] → logits and attention. */
  forward(ids: tfjs.Tensor2D, mask: tfjs.Tensor2D, training: boolean): ForwardOutput;
  /** ids [batch, time] → the model's input vectors x [batch, time, dim]. */
  embed(ids: tfjs.Tensor2D): tfjs.Tensor3D;
  /** `forward` from x = embed(ids): for gradients with respect to the input (gradient × input). */
  forwardEmbedded(x: tfjs.Tensor3D, mask: tfjs.Tensor2D, training: boolean): ForwardOutput;
  /** Logits [batch, classes] with the pooler's attention replaced by `attention` [batch, time] (permutation tests). */
  forwardWithAttention(ids: tfjs.Tensor2D, mask: tfjs.Tensor2D, attention: tfjs.Tensor2D): tfjs.Tensor2D;
}

export interface Regularizer {
  /** A scalar added to the loss. */
  penalty(output: ForwardOutput, variables: readonly tfjs.Variable[]): tfjs.Scalar;
}

export interface ModelContext extends BaseContext {
  /** The frozen (or trainable) embedding matrix [vocab, dim]; row 0 is PAD, row 1 UNK. */
  readonly embeddings: tfjs.Tensor2D | tfjs.Variable;
  readonly numClasses: number;
}
export interface LayerContext extends BaseContext {
  readonly inputDim: number;
}
export interface HeadContext extends LayerContext {
  readonly numClasses: number;
}

/**
 * Receives each token of a text as `source.slice(start, end)` (a range, to spare the slice) and
 * `hash`, the token's {@link TokenizerContext.hashRange}.
 */
export type TokenSink = (source: string, start: number, end: number, hash: number) => void;

/**
 * Cuts texts into tokens. The same tokenizer cuts the training texts, shapes the vocabulary and
 * cuts every text a trained run scores (`predict`, `eval`, `explain`), so it must be a pure
 * function of the text and its params: a worker thread builds its own copy from the plugin file.
 */
export interface Tokenizer {
  /** Calls `sink` with each token of `text`, in order; `source` may be `text` or a normalised copy of it. */
  forEachToken(text: string, sink: TokenSink): void;
}

/** What a tokenizer factory gets: the token hash, and the core's GloVe tokenizer to build on. */
export interface TokenizerContext {
  /** The hash a {@link TokenSink} expects with each token: FNV-1a over the token's UTF-16 code units. */
  hashRange(source: string, start: number, end: number): number;
  /** The GloVe 6B (Stanford PTB style) tokenizer of the core: the `glove` built-in. */
  readonly glove: Tokenizer;
}

/** Context each kind's factory receives. */
export interface ContextOf {
  dataset: DatasetFactoryContext;
  embeddings: EmbeddingsContext;
  model: ModelContext;
  encoder: LayerContext;
  pooler: LayerContext;
  value: LayerContext;
  head: HeadContext;
  regularizer: BaseContext;
  optimizer: BaseContext & { readonly learningRate: number };
  tokenizer: TokenizerContext;
}

/** Context members the core fills in for a kind by itself (a dataset's readers, a tokenizer's hash): no caller gives them. */
export type CoreProvidedContext = 'data' | keyof TokenizerContext;

/** What `ctx.build(kind, block, extra)` needs beyond the base context. */
export type ExtraContext = {
  [K in PluginKind]: Omit<ContextOf[K], keyof BaseContext | CoreProvidedContext>;
};

/** What each kind's factory returns. */
export interface Created {
  dataset: Dataset;
  embeddings: Embeddings;
  model: Model;
  encoder: Encoder;
  pooler: Pooler;
  value: ValueTransform;
  head: Head;
  regularizer: Regularizer;
  optimizer: tfjs.Optimizer;
  tokenizer: Tokenizer;
}

/** A plugin: the default export of its file. */
export interface PluginDescriptor<K extends PluginKind = PluginKind, S extends JSONSchema = JSONSchema> {
  readonly kind: K;
  /** Registry key; for a built-in, equal to its file name. */
  readonly name: string;
  /** One line, shown by `attnlab plugins`. */
  readonly description: string;
  /** JSON Schema of the params (an object schema; `type` is added by the core). */
  readonly schema: S;
  create(params: FromSchema<S>, ctx: ContextOf[K]): Created[K] | Promise<Created[K]>;
}

/** A plugin of any kind, as the registry holds it. */
export type AnyPlugin = {
  [K in PluginKind]: {
    readonly kind: K;
    readonly name: string;
    readonly description: string;
    readonly schema: JSONSchema;
    create(params: never, ctx: ContextOf[K]): Created[K] | Promise<Created[K]>;
  };
}[PluginKind];
