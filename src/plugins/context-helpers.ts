/**
 * The helpers the core hands to dataset (`ctx.data`), embeddings (`ctx.vectors`) and encoder
 * (`ctx.recurrentEncoder`) factories, so that a plugin file needs no runtime import from attnlab.
 */
import { glove6bEmbeddings, randomEmbeddings, textFileEmbeddings, winkEmbeddings } from '../data/embeddings.js';
import { FILE_DATASET_HELPERS } from '../data/files.js';
import { loadImdb } from '../data/imdb.js';
import { createSyntheticCorpus, SYNTHETIC_VOCABULARY } from '../data/synthetic.js';
import type { DatasetHelpers, EncoderContext, VectorHelpers } from '../plugin-api.js';

export const DATASET_HELPERS: DatasetHelpers = { ...FILE_DATASET_HELPERS, loadImdb, syntheticCorpus: createSyntheticCorpus };

export const VECTOR_HELPERS: VectorHelpers = {
  fromWinkPackage: winkEmbeddings,
  fromTextFile: textFileEmbeddings,
  fromGlove6bZip: glove6bEmbeddings,
  random: randomEmbeddings,
  syntheticVocabulary: SYNTHETIC_VOCABULARY,
};

export const ENCODER_HELPERS: Pick<EncoderContext, 'recurrentEncoder'> = {
  recurrentEncoder: (cell, params, ctx) =>
    ctx.nn.recurrentLayers(cell, {
      inputDim: ctx.inputDim,
      stateSize: params.state_size,
      layers: params.layers,
      bidirectional: params.bidirectional,
      dropout: params.dropout,
      seed: ctx.seed,
    }),
};
