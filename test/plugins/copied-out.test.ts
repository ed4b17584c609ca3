/**
 * A built-in is a starting point for a user's plugin: each plugin file, copied out of the package
 * into a temporary folder and renamed, is named in a config's `plugins:` list and trains a model
 * for one step. A runtime import from attnlab would not resolve from there.
 */
import test from 'ava';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { SYNTHETIC_VOCABULARY } from '../../src/data/synthetic.js';
import { PLUGIN_KINDS, type PluginKind } from '../../src/plugin-api.js';
import { registryOf } from '../../src/plugins/container.js';
import { buildExperiment, trainExperiment } from '../helpers/experiment.js';
import { makeZip, temporaryFolder } from '../fixtures/data/archives.js';

const BUILTINS = fileURLToPath(new URL('../../plugins/', import.meta.url));
const IMDB = process.env.ATTNLAB_IMDB;

const SYNTHETIC = 'data: { type: synthetic, size: 60, test_size: 10, min_length: 4, max_length: 8 }';
const RANDOM = 'embeddings: { type: random, dim: 8 }';
const ONE_STEP = 'train: { epochs: 1, batch_size: 64, max_length: 16, lr: 0.01, patience: 0';
/** A review per line, half of each label, from the synthetic vocabulary. */
const ROWS = Array.from({ length: 40 }, (_, index) => ({ text: `${SYNTHETIC_VOCABULARY[index % 50]} ${index % 2 ? 'superb' : 'awful'} film`, label: index % 2 ? 'pos' : 'neg' }));
const vectorLines = (dim: number): string => SYNTHETIC_VOCABULARY.map((word, row) => `${word} ${Array.from({ length: dim }, (_, k) => ((row * 7 + k) % 11) / 10 - 0.5).join(' ')}\n`).join('');

/** How each kind's copy `NAME` enters a run; `setup` writes the data files it reads into `folder`. */
const USES: Record<PluginKind, (name: string, plugin: string) => { readonly yaml: string; setup?(folder: string): void } | undefined> = {
  pooler: (name) => ({ yaml: `${SYNTHETIC}\n${RANDOM}\nmodel: { type: classifier, pooler: { type: ${name} } }\n${ONE_STEP} }` }),
  encoder: (name) => ({ yaml: `${SYNTHETIC}\n${RANDOM}\nmodel: { type: classifier, encoder: { type: ${name} } }\n${ONE_STEP} }` }),
  value: (name) => ({ yaml: `${SYNTHETIC}\n${RANDOM}\nmodel: { type: classifier, value: { type: ${name} } }\n${ONE_STEP} }` }),
  head: (name) => ({ yaml: `${SYNTHETIC}\n${RANDOM}\nmodel: { type: classifier, head: { type: ${name} } }\n${ONE_STEP} }` }),
  model: (name) => ({ yaml: `${SYNTHETIC}\n${RANDOM}\nmodel: { type: ${name} }\n${ONE_STEP} }` }),
  optimizer: (name) => ({ yaml: `${SYNTHETIC}\n${RANDOM}\n${ONE_STEP}, optimizer: { type: ${name} } }` }),
  regularizer: (name) => ({ yaml: `${SYNTHETIC}\n${RANDOM}\nregularizers: { extra: { type: ${name} } }\n${ONE_STEP} }` }),
  tokenizer: (name) => ({ yaml: `${SYNTHETIC}\nembeddings: { type: random, dim: 8, vocabulary: training }\ntokenizer: { type: ${name} }\n${ONE_STEP} }` }),
  embeddings: (name, plugin) => {
    const params: Record<string, string> = { 'text-file': ', path: vectors.txt', random: ', dim: 8' };
    const zipped = /^glove-6b-(50|200|300)d$/.exec(plugin);
    return {
      yaml: `${SYNTHETIC}\nembeddings: { type: ${name}${zipped ? ', path: glove.6B.zip, url: ""' : (params[plugin] ?? '')} }\n${ONE_STEP} }`,
      setup(folder) {
        writeFileSync(join(folder, 'vectors.txt'), vectorLines(4));
        if (zipped) writeFileSync(join(folder, 'glove.6B.zip'), makeZip([{ path: `glove.6B.${zipped[1]}d.txt`, body: vectorLines(Number(zipped[1])) }]));
      },
    };
  },
  dataset: (name, plugin) => {
    const embeddings = 'embeddings: { type: random, dim: 8, vocabulary: training }';
    if (plugin === 'synthetic') return { yaml: `data: { type: ${name}, size: 60, test_size: 10 }\n${RANDOM}\n${ONE_STEP} }` };
    if (plugin === 'imdb') return IMDB ? { yaml: `data: { type: ${name}, train_limit: 60, test_limit: 10 }\n${embeddings}\n${ONE_STEP} }` } : undefined;
    const files: Record<string, (folder: string) => string> = {
      csv: (folder) => write(join(folder, 'reviews.csv'), `text,label\n${ROWS.map((row) => `${row.text},${row.label}`).join('\n')}\n`),
      jsonl: (folder) => write(join(folder, 'reviews.jsonl'), ROWS.map((row) => JSON.stringify(row)).join('\n')),
      parquet: (folder) =>
        write(join(folder, 'reviews.parquet'), new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: ROWS.map((row) => row.text), type: 'STRING' }, { name: 'label', data: ROWS.map((row) => row.label), type: 'STRING' }] }))),
      folders: (folder) => {
        ROWS.forEach((row, index) => write(join(folder, 'reviews', row.label, `${index}.txt`), row.text));
        return join(folder, 'reviews');
      },
    };
    const file = files[plugin];
    return { yaml: `data: { type: ${name}, path: ${plugin === 'folders' ? 'reviews' : `reviews.${plugin}`} }\n${embeddings}\n${ONE_STEP} }`, setup: (folder) => void file(folder) };
  },
};

function write(file: string, body: string | Uint8Array): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, body);
  return file;
}

/** The built-in's file copied into a fresh folder outside the package, its `name` changed to `copied-<name>`. */
function copyOut(kind: PluginKind, fileName: string): { folder: string; file: string; name: string } {
  const plugin = basename(fileName, '.ts');
  const folder = temporaryFolder(`attnlab-copied-${kind}-`);
  const file = join(folder, `my-${plugin}.ts`);
  copyFileSync(join(BUILTINS, kind, fileName), file);
  const source = readFileSync(file, 'utf8');
  const declaration = `name: '${plugin}',`;
  if (source.split(declaration).length !== 2) throw new Error(`${kind}/${fileName} does not declare ${declaration} exactly once`);
  writeFileSync(file, source.replace(declaration, `name: 'copied-${plugin}',`));
  return { folder, file, name: `copied-${plugin}` };
}

test('the copies live outside the package', (t) => {
  t.false(temporaryFolder().startsWith(fileURLToPath(new URL('../../', import.meta.url))));
  t.true(temporaryFolder().startsWith(tmpdir()));
});

for (const kind of PLUGIN_KINDS) {
  for (const fileName of readdirSync(join(BUILTINS, kind)).filter((entry) => entry.endsWith('.ts'))) {
    const plugin = basename(fileName, '.ts');
    const use = USES[kind](`copied-${plugin}`, plugin);
    const title = `${kind}/${fileName}, copied out and renamed, trains a model for one step`;
    if (!use) {
      test.skip(`${title} (set ATTNLAB_IMDB to run it)`, () => {});
      continue;
    }
    // Serial: tfjs names variables process-wide, and each experiment's model uses the same names.
    test.serial(title, async (t) => {
      const { folder, file, name } = copyOut(kind, fileName);
      use.setup?.(folder);
      const experiment = await buildExperiment(`plugins: [${file}]\n${use.yaml}\n`, [], folder);
      try {
        t.is(registryOf(experiment.container).get(kind, name)?.file, file);
        const trained = await trainExperiment(experiment);
        t.is(trained.epochs.length, 1);
        t.true(Number.isFinite(trained.epochs[0].trainLoss), `train loss ${trained.epochs[0].trainLoss}`);
      } finally {
        experiment.built.dispose();
      }
    });
  }
}
