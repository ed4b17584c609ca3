/**
 * The Large Movie Review Dataset (Maas et al., 2011) from its official archive
 * `aclImdb_v1.tar.gz`, or an extracted `aclImdb/` folder: 25,000 train and 25,000 test reviews,
 * labels `neg`/`pos`, the star rating kept from each file name `<id>_<rating>.txt`.
 * `train/unsup/` and the bag-of-words `*.feat` files are ignored.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import type { DatasetContext, Example, ImdbSource, LabelledCorpus, ProgressReporter } from '../plugin-api.js';
import { resolveDataSource } from './source.js';
import { splitCorpus, type RawCorpus } from './split.js';
import { readTar } from './tar.js';
import { decodeText } from './text.js';

export const IMDB_LABELS = ['neg', 'pos'] as const;
export const IMDB_URL = 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz';
export const IMDB_SHA256 = 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe';
const IMDB_SIZE = 84_125_825;
export const IMDB_ENV = 'ATTNLAB_IMDB';

export type ImdbOptions = ImdbSource;

/** Finds the data (config path, ATTNLAB_IMDB, cache, download), reads it and splits it. */
export async function loadImdb(options: ImdbOptions, ctx: DatasetContext): Promise<LabelledCorpus> {
  const source = await resolveDataSource({
    what: 'the IMDB dataset (aclImdb_v1.tar.gz or an extracted aclImdb/ folder)',
    configKey: 'data.path',
    configuredPath: options.path,
    configDir: ctx.configDir,
    envVariable: IMDB_ENV,
    cacheFile: join(ctx.cacheDir, 'aclImdb_v1.tar.gz'),
    url: options.url,
    sha256: options.sha256,
    size: options.sha256 === IMDB_SHA256 ? IMDB_SIZE : undefined,
    progress: ctx.progress,
  });
  const raw = await readImdb(source, ctx.progress);
  return splitCorpus(raw, { valFraction: options.valFraction, trainLimit: options.trainLimit, testLimit: options.testLimit, seed: ctx.seed });
}

/** Reads every labelled review of an archive or folder, sorted by split, label and id. */
export async function readImdb(source: string, progress: ProgressReporter): Promise<RawCorpus> {
  const isFolder = (await stat(source)).isDirectory();
  const task = progress.start(`reading ${source}`, undefined, 'reviews');
  const collected = { train: [] as Review[], test: [] as Review[] };
  const add = (path: string, body: Uint8Array) => {
    const review = parseReview(path, body);
    if (!review) return;
    collected[review.split].push(review);
    task.tick(1);
  };
  if (isFolder) await readFolder(source, add);
  else for await (const entry of readTar(source, { filter: isReviewPath })) add(entry.path, entry.body);
  task.done();
  if (collected.train.length + collected.test.length === 0) {
    throw new DataError('data-empty', `${source}: no reviews found; expected files like aclImdb/train/pos/<id>_<rating>.txt (the layout of aclImdb_v1.tar.gz)`);
  }
  return { labels: IMDB_LABELS, train: toExamples(collected.train), test: toExamples(collected.test) };
}

const REVIEW_PATH = /(?:^|\/)(train|test)\/(neg|pos)\/(\d+)_(\d+)\.txt$/;

function isReviewPath(path: string): boolean {
  return REVIEW_PATH.test(path);
}

interface Review {
  readonly split: 'train' | 'test';
  readonly label: number;
  readonly number: number;
  readonly example: Example;
}

function parseReview(path: string, body: Uint8Array): Review | undefined {
  const match = REVIEW_PATH.exec(path);
  if (!match) return undefined;
  const [, split, labelName, id, rating] = match;
  const label = labelName === 'pos' ? 1 : 0;
  const example: Example = { id: `${split}/${labelName}/${id}`, text: decodeText(body), label, meta: { rating: Number(rating) } };
  return { split: split as Review['split'], label, number: Number(id), example };
}

/** Sorted so that an archive and its extracted folder give the same corpus. */
function toExamples(reviews: Review[]): Example[] {
  return reviews.sort((a, b) => a.label - b.label || a.number - b.number).map((review) => review.example);
}

/** `source` is the `aclImdb/` folder itself or a folder holding it. */
async function readFolder(source: string, add: (path: string, body: Uint8Array) => void): Promise<void> {
  const nested = join(source, 'aclImdb');
  const root = (await stat(join(nested, 'train')).then(() => true, () => false)) ? nested : source;
  for (const split of ['train', 'test']) {
    for (const label of IMDB_LABELS) {
      const folder = join(root, split, label);
      const names = await readdir(folder).catch(() => [] as string[]);
      await readInBatches(names.map((name) => `${split}/${label}/${name}`).filter(isReviewPath), root, add);
    }
  }
}

/** Reads files a few dozen at a time: fast on SSDs without exhausting file descriptors. */
async function readInBatches(paths: string[], root: string, add: (path: string, body: Uint8Array) => void): Promise<void> {
  const batchSize = 64;
  for (let start = 0; start < paths.length; start += batchSize) {
    const batch = paths.slice(start, start + batchSize);
    const bodies = await Promise.all(batch.map((path) => readFile(join(root, path))));
    bodies.forEach((body, index) => add(batch[index], body));
  }
}
