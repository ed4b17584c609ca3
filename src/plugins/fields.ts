/**
 * The shared param builders a plugin's `schema` function receives ({@link SchemaFields}): one
 * definition of "dropout", "activation", a layer width, a file dataset's files and splits, a
 * recurrent encoder's params.
 */
import { GLOVE_6B_SHA256, GLOVE_6B_URL } from '../data/embeddings.js';
import type { Activation, DataFileFields, DataSplitFields, Glove6bArchiveSchema, RecurrentEncoderSchema, SchemaFields, SchemaSource } from '../plugin-api.js';

const ACTIVATIONS = ['tanh', 'relu', 'elu', 'sigmoid', 'linear'] as const satisfies readonly Activation[];

const DATA_FILE_FIELDS: DataFileFields = {
  path: { type: 'string', default: '', description: 'The data file when it is the only one (validation and test are carved from it); relative to the config file. Same as train.' },
  train: { type: 'string', default: '', description: 'The training file, relative to the config file.' },
  validation: { type: 'string', default: '', description: 'The validation file; empty: carved from train.' },
  test: { type: 'string', default: '', description: 'The test file; empty: carved from train.' },
};

const DATA_SPLIT_FIELDS: DataSplitFields = {
  labels: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Class names in order. Empty: the training labels, sorted (numerically when all are integers). With integer labels, label i is the i-th name.' },
  val_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the training pool carved out (stratified, seeded) as validation when there is no validation file.' },
  test_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.2, description: 'Share of the training file carved out (stratified, seeded) as test when there is no test file.' },
  train_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many training examples (stratified, seeded), validation included; 0 = all.' },
  test_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many test examples (stratified, seeded); 0 = all.' },
};

const trainable = () => ({ type: 'boolean', default: false, description: 'Let the model fine-tune the vectors.' }) as const;

const GLOVE_6B_ARCHIVE: Glove6bArchiveSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', default: '', description: 'glove.6B.zip, relative to the config file. Empty: the cache, then a download.' },
    url: { type: 'string', default: GLOVE_6B_URL, description: 'Where to download glove.6B.zip when no local copy is found. Empty: never download.' },
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', default: GLOVE_6B_SHA256, description: 'Checksum the downloaded archive must have.' },
    trainable: trainable(),
  },
};

const dropout: SchemaFields['dropout'] = (description) => ({ type: 'number', minimum: 0, maximum: 0.95, default: 0, description });
const units: SchemaFields['units'] = (defaultValue, description, minimum) => ({ type: 'integer', minimum: minimum ?? (1 as never), maximum: 4096, default: defaultValue, description });

const RECURRENT_ENCODER: RecurrentEncoderSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    layers: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'Stacked layers; attention pools the last one.' },
    state_size: { ...units(64, 'State size per direction.'), 'x-renamed-from': 'hidden' },
    bidirectional: { type: 'boolean', default: false, description: 'Also read each review right to left and concatenate both states.' },
    dropout: dropout('Dropout on the inputs of layers above the first, while training.'),
  },
};

export const SCHEMA_FIELDS: SchemaFields = {
  dropout,
  activation: (defaultValue, description) => ({ enum: ACTIVATIONS, default: defaultValue, description }),
  units,
  outputDim: () => ({ type: 'integer', minimum: 1, maximum: 4096, description: 'Output size; default: the input size.' }),
  trainable,
  dataFiles: () => DATA_FILE_FIELDS,
  dataSplits: () => DATA_SPLIT_FIELDS,
  glove6bArchive: () => GLOVE_6B_ARCHIVE,
  recurrentEncoder: () => RECURRENT_ENCODER,
};

/** The JSON Schema a descriptor's `schema` stands for: itself, or what its function builds from the shared fields. */
export function resolveSchema(schema: SchemaSource | unknown): unknown {
  return typeof schema === 'function' ? (schema as (fields: SchemaFields) => unknown)(SCHEMA_FIELDS) : schema;
}
