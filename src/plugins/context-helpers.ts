/**
 * The helpers the core hands to dataset (`ctx.data`) and embeddings (`ctx.vectors`) factories, so
 * that a plugin file needs no runtime import from attnlab.
 */
import { glove6bEmbeddings, randomEmbeddings, textFileEmbeddings, winkEmbeddings } from '../data/embeddings.js';
import { FILE_DATASET_HELPERS } from '../data/files.js';
import { loadImdb } from '../data/imdb.js';
import { createSyntheticCorpus, SYNTHETIC_VOCABULARY } from '../data/synthetic.js';
import type { DatasetHelpers, VectorHelpers } from '../plugin-api.js';

export const DATASET_HELPERS: DatasetHelpers = { ...FILE_DATASET_HELPERS, loadImdb, syntheticCorpus: createSyntheticCorpus };

export const VECTOR_HELPERS: VectorHelpers = {
  fromWinkPackage: winkEmbeddings,
  fromTextFile: textFileEmbeddings,
  fromGlove6bZip: glove6bEmbeddings,
  random: randomEmbeddings,
  syntheticVocabulary: SYNTHETIC_VOCABULARY,
};
