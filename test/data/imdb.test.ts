import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { IMDB_ENV, loadImdb, readImdb, type ImdbOptions } from '../../src/data/imdb.js';
import type { DatasetContext } from '../../src/plugin-api.js';
import { silentProgress } from '../../src/progress.js';
import { makeImdbFiles, makeTarGz, temporaryFolder } from '../fixtures/data/archives.js';

const archive = makeTarGz(makeImdbFiles(10));
const archiveSha = createHash('sha256').update(archive).digest('hex');

function context(folder: string): DatasetContext {
  return { cacheDir: join(folder, 'cache'), progress: silentProgress, seed: 7, configDir: folder };
}

function options(overrides: Partial<ImdbOptions> = {}): ImdbOptions {
  return { path: '', url: '', sha256: archiveSha, valFraction: 0.2, ...overrides };
}

/** Serves `body` at /aclImdb_v1.tar.gz; `cutAt` closes the connection after that many bytes. */
async function serve(body: Buffer, cutAt?: number): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': body.length });
    if (cutAt === undefined) return response.end(body);
    response.write(body.subarray(0, cutAt), () => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/aclImdb_v1.tar.gz`, server };
}

test('reads a tar.gz: labels, ratings, ids, and ignores unsup, .feat and urls', async (t) => {
  const folder = temporaryFolder();
  writeFileSync(join(folder, 'imdb.tar.gz'), archive);
  const raw = await readImdb(join(folder, 'imdb.tar.gz'), silentProgress);
  t.deepEqual(raw.labels, ['neg', 'pos']);
  t.is(raw.train.length, 20);
  t.is(raw.test.length, 20);
  t.deepEqual(raw.train.filter((example) => example.label === 1).length, 10);
  const review = raw.train.find((example) => example.id === 'train/pos/3');
  t.deepEqual(review?.meta, { rating: 10 });
  t.true(review?.text.startsWith('A great film, train number 3.'));
});

test('an extracted folder gives the same corpus as the archive', async (t) => {
  const folder = temporaryFolder();
  for (const file of makeImdbFiles(10)) {
    mkdirSync(dirname(join(folder, file.path)), { recursive: true });
    writeFileSync(join(folder, file.path), file.body);
  }
  writeFileSync(join(folder, 'imdb.tar.gz'), archive);
  const fromFolder = await readImdb(folder, silentProgress);
  const fromInner = await readImdb(join(folder, 'aclImdb'), silentProgress);
  const fromArchive = await readImdb(join(folder, 'imdb.tar.gz'), silentProgress);
  t.deepEqual(fromFolder, fromArchive);
  t.deepEqual(fromInner, fromArchive);
});

test('odd encodings: BOM, CRLF, invalid UTF-8 and empty reviews', async (t) => {
  const folder = temporaryFolder();
  const files = [
    { path: 'aclImdb/train/pos/0_9.txt', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Bom\r\nline')]) },
    { path: 'aclImdb/train/pos/1_9.txt', body: Buffer.from([0x63, 0x61, 0x66, 0xe9]) },
    { path: 'aclImdb/train/neg/0_1.txt', body: '' },
    { path: 'aclImdb/train/neg/1_1.txt', body: 'caf\u00e9 ok' },
  ];
  writeFileSync(join(folder, 'odd.tar.gz'), makeTarGz(files));
  const raw = await readImdb(join(folder, 'odd.tar.gz'), silentProgress);
  const text = (id: string) => raw.train.find((example) => example.id === id)?.text;
  t.is(text('train/pos/0'), 'Bom\nline');
  t.is(text('train/pos/1'), 'caf\u00e9');
  t.is(text('train/neg/0'), '');
  t.is(text('train/neg/1'), 'caf\u00e9 ok');
});

test('data.path is taken relative to the config folder, then split stratified', async (t) => {
  const folder = temporaryFolder();
  writeFileSync(join(folder, 'imdb.tar.gz'), archive);
  const corpus = await loadImdb(options({ path: 'imdb.tar.gz', trainLimit: 10, testLimit: 6 }), context(folder));
  t.is(corpus.train.length + corpus.validation.length, 10);
  t.is(corpus.validation.length, 2);
  t.deepEqual(corpus.validation.map((example) => example.label).sort(), [0, 1]);
  t.deepEqual(corpus.test.map((example) => example.label).sort(), [0, 0, 0, 1, 1, 1]);
});

test.serial(`${IMDB_ENV} is used when data.path is empty`, async (t) => {
  const folder = temporaryFolder();
  writeFileSync(join(folder, 'env.tar.gz'), archive);
  const previous = process.env[IMDB_ENV];
  process.env[IMDB_ENV] = join(folder, 'env.tar.gz');
  try {
    const corpus = await loadImdb(options(), context(folder));
    t.is(corpus.test.length, 20);
  } finally {
    if (previous === undefined) delete process.env[IMDB_ENV];
    else process.env[IMDB_ENV] = previous;
  }
});

// The download tests clear ATTNLAB_IMDB so that a developer's own copy does not stand in.
function withoutEnv<T>(run: () => Promise<T>): Promise<T> {
  const previous = process.env[IMDB_ENV];
  delete process.env[IMDB_ENV];
  return run().finally(() => {
    if (previous !== undefined) process.env[IMDB_ENV] = previous;
  });
}

test.serial('downloads into the cache, verified, then reads the cached copy', async (t) => {
  const folder = temporaryFolder();
  const { url, server } = await serve(archive);
  try {
    const corpus = await withoutEnv(() => loadImdb(options({ url }), context(folder)));
    t.is(corpus.test.length, 20);
    t.deepEqual(readdirSync(join(folder, 'cache')), ['aclImdb_v1.tar.gz']);
  } finally {
    server.close();
  }
  const again = await withoutEnv(() => loadImdb(options({ url: 'http://127.0.0.1:9/unreachable' }), context(folder)));
  t.is(again.test.length, 20);
});

test.serial('an interrupted download leaves no file and says so', async (t) => {
  const folder = temporaryFolder();
  const { url, server } = await serve(archive, 1000);
  try {
    const error = await withoutEnv(() => t.throwsAsync(loadImdb(options({ url }), context(folder)), { instanceOf: DataError }));
    t.is(error?.code, 'download-interrupted');
    t.deepEqual(existsSync(join(folder, 'cache')) ? readdirSync(join(folder, 'cache')) : [], []);
  } finally {
    server.close();
  }
});

test.serial('a wrong checksum removes the download and names both sums', async (t) => {
  const folder = temporaryFolder();
  const { url, server } = await serve(archive);
  try {
    const wrong = '0'.repeat(64);
    const error = await withoutEnv(() => t.throwsAsync(loadImdb(options({ url, sha256: wrong }), context(folder)), { instanceOf: DataError }));
    t.is(error?.code, 'checksum-mismatch');
    t.true(error?.message.includes(archiveSha) && error.message.includes(wrong));
    t.deepEqual(readdirSync(join(folder, 'cache')), []);
  } finally {
    server.close();
  }
});

test.serial('no data anywhere: the error lists every place looked and how to provide it', async (t) => {
  const folder = temporaryFolder();
  const error = await withoutEnv(() => t.throwsAsync(loadImdb(options({ url: 'http://127.0.0.1:9/none.tar.gz' }), context(folder)), { instanceOf: DataError }));
  t.is(error?.code, 'data-missing');
  for (const place of ['data.path', IMDB_ENV, join(folder, 'cache', 'aclImdb_v1.tar.gz'), 'download']) t.true(error?.message.includes(place), place);
});

test('a configured path that does not exist is an error naming it', async (t) => {
  const folder = temporaryFolder();
  await t.throwsAsync(loadImdb(options({ path: 'missing.tar.gz' }), context(folder)), { instanceOf: DataError, message: /missing\.tar\.gz/ });
});

const realArchive = process.env[IMDB_ENV];
if (realArchive) {
  test('the real archive: 50,000 reviews, 12,500 per split and label', async (t) => {
    const raw = await readImdb(realArchive, silentProgress);
    for (const split of [raw.train, raw.test]) {
      t.is(split.filter((example) => example.label === 0).length, 12_500);
      t.is(split.filter((example) => example.label === 1).length, 12_500);
    }
  });
} else {
  test.skip(`the real archive: skipped because ${IMDB_ENV} is not set (e.g. ${IMDB_ENV}=../shared/data/aclImdb_v1_labeled.tar.gz)`, () => {});
}
