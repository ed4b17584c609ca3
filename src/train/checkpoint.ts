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

export async function readCheckpoint(directory: string): Promise<Checkpoint> {
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(join(directory, name));
    } catch (error) {
      throw new DataError('checkpoint-missing', `${join(directory, name)}: cannot read the checkpoint file (${(error as Error).message})`, error);
    }
  };
  const manifest = JSON.parse((await read('manifest.json')).toString('utf8')) as CheckpointManifest;
  if (manifest.format !== 'attnlab-checkpoint/1') {
    throw new DataError('checkpoint-format', `${directory}: unknown checkpoint format ${JSON.stringify(manifest.format)}`);
  }
  const vocabulary = (await read('vocabulary.txt')).toString('utf8').split('\n').slice(0, manifest.vocabularySize);
  return { manifest, weights: toFloat32(await read('weights.bin')), vocabulary, embeddings: toFloat32(await read('embeddings.bin')) };
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

function toFloat32(buffer: Buffer): Float32Array {
  const copy = new Uint8Array(buffer.byteLength);
  copy.set(buffer);
  return new Float32Array(copy.buffer);
}
