/**
 * A trained model on disk, self-contained: its variables, the vocabulary and the embedding
 * matrix it was trained with, so `attnlab eval` and `explain` need neither the data nor GloVe.
 *
 * Layout: `manifest.json`, `weights.bin` (float32 variables, concatenated), `vocabulary.txt`
 * (one token per line, row order), `embeddings.bin` (float32 [vocabulary, dim]).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { DataError } from '../errors.js';
import type { Tf } from '../plugin-api.js';

export interface CheckpointManifest {
  readonly format: 'attnlab-checkpoint/1';
  readonly labels: readonly string[];
  readonly embeddingDim: number;
  readonly vocabularySize: number;
  readonly variables: readonly { readonly name: string; readonly shape: readonly number[]; readonly offset: number }[];
}

export interface Checkpoint {
  readonly manifest: CheckpointManifest;
  readonly weights: Float32Array;
  readonly vocabulary: readonly string[];
  readonly embeddings: Float32Array;
}

/** The checkpoint's files, relative path → content. */
export function checkpointFiles(
  variables: readonly tfjs.Variable[],
  vocabulary: readonly string[],
  embeddings: Float32Array,
  labels: readonly string[],
): Record<string, string | Uint8Array> {
  let offset = 0;
  const entries = variables.map((variable) => {
    const entry = { name: variable.name, shape: variable.shape, offset };
    offset += variable.size;
    return entry;
  });
  const weights = new Float32Array(offset);
  variables.forEach((variable, index) => weights.set(variable.dataSync() as Float32Array, entries[index].offset));
  const manifest: CheckpointManifest = {
    format: 'attnlab-checkpoint/1',
    labels,
    embeddingDim: vocabulary.length ? embeddings.length / vocabulary.length : 0,
    vocabularySize: vocabulary.length,
    variables: entries,
  };
  return {
    'manifest.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'weights.bin': new Uint8Array(weights.buffer),
    'vocabulary.txt': `${vocabulary.join('\n')}\n`,
    'embeddings.bin': new Uint8Array(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength),
  };
}

/**
 * Reads and verifies a checkpoint folder: a damaged file is named with what is wrong (not JSON,
 * expected N bytes and found M, NaN values, an empty vocabulary) rather than scored as if fine.
 */
export async function readCheckpoint(directory: string): Promise<Checkpoint> {
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(join(directory, name));
    } catch (error) {
      throw new DataError('checkpoint-missing', `${join(directory, name)}: cannot read the checkpoint file (${(error as Error).message})`, error);
    }
  };
  const damaged = (name: string, how: string): DataError =>
    new DataError('checkpoint-damaged', `${join(directory, name)}: the checkpoint file is damaged: ${how}; train the run again or restore the file`);
  const manifest = parseManifest((await read('manifest.json')).toString('utf8'), (how) => damaged('manifest.json', how));
  const vocabulary = (await read('vocabulary.txt')).toString('utf8').split('\n').slice(0, manifest.vocabularySize);
  if (vocabulary.length < manifest.vocabularySize) {
    throw damaged('vocabulary.txt', `expected ${manifest.vocabularySize} words (one a line), found ${vocabulary.length}`);
  }
  const expectedWeights = manifest.variables.reduce((sum, entry) => Math.max(sum, entry.offset + entry.shape.reduce((product, size) => product * size, 1)), 0);
  const weights = toFloat32(await read('weights.bin'), expectedWeights, (how) => damaged('weights.bin', how));
  const embeddings = toFloat32(await read('embeddings.bin'), manifest.vocabularySize * manifest.embeddingDim, (how) => damaged('embeddings.bin', how));
  return { manifest, weights, vocabulary, embeddings };
}

function parseManifest(text: string, damaged: (how: string) => DataError): CheckpointManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw damaged(`it is not JSON (${(error as Error).message})`);
  }
  const manifest = data as Partial<CheckpointManifest> | null;
  if (typeof manifest !== 'object' || manifest === null) throw damaged('it is not a JSON object');
  if (manifest.format !== 'attnlab-checkpoint/1') throw damaged(`unknown checkpoint format ${JSON.stringify(manifest.format)}, expected "attnlab-checkpoint/1"`);
  const count = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
  if (!Array.isArray(manifest.labels) || manifest.labels.length < 2 || !manifest.labels.every((label) => typeof label === 'string')) {
    throw damaged(`"labels" must list at least two class names, found ${JSON.stringify(manifest.labels)}`);
  }
  if (!count(manifest.vocabularySize) || manifest.vocabularySize === 0) throw damaged(`the vocabulary is empty ("vocabularySize": ${JSON.stringify(manifest.vocabularySize)})`);
  if (!count(manifest.embeddingDim) || manifest.embeddingDim === 0) throw damaged(`"embeddingDim" must be a positive whole number, found ${JSON.stringify(manifest.embeddingDim)}`);
  const variables = manifest.variables;
  if (!Array.isArray(variables) || !variables.every((entry) => typeof entry?.name === 'string' && Array.isArray(entry.shape) && entry.shape.every(count) && count(entry.offset))) {
    throw damaged('"variables" must list { name, shape, offset } entries');
  }
  return manifest as CheckpointManifest;
}
/** Assigns the checkpoint's values to same-named variables; a missing or misshapen one is an error. */
export function restoreVariables(tf: Tf, variables: readonly tfjs.Variable[], checkpoint: Checkpoint): void {
  const byName = new Map(checkpoint.manifest.variables.map((entry) => [entry.name, entry]));
  for (const variable of variables) {
    const entry = byName.get(variable.name);
    if (!entry || entry.shape.join('x') !== variable.shape.join('x')) {
      throw new DataError(
        'checkpoint-mismatch',
        `the checkpoint has no variable ${variable.name} of shape [${variable.shape.join(', ')}]; was it trained with another model config?`,
      );
    }
    variable.assign(tf.tensor(checkpoint.weights.subarray(entry.offset, entry.offset + variable.size), variable.shape));
  }
}

/** `expected` float32 values, all finite. */
function toFloat32(buffer: Buffer, expected: number, damaged: (how: string) => DataError): Float32Array {
  if (buffer.byteLength !== 4 * expected) throw damaged(`expected ${4 * expected} bytes (${expected} float32 values), found ${buffer.byteLength}`);
  const copy = new Uint8Array(buffer.byteLength);
  copy.set(buffer);
  const values = new Float32Array(copy.buffer);
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    const count = values.reduce((sum, value) => sum + (Number.isFinite(value) ? 0 : 1), 0);
    throw damaged(`${count} value${count === 1 ? ' is' : 's are'} NaN or infinite (the first at float ${bad})`);
  }
  return values;
}
