/** The tokenizer plugins on other languages, in a worker thread, and in the vocabulary and cache they shape. */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetCacheKey, prepareWithCache } from '../../src/data/cache.js';
import { randomEmbeddings } from '../../src/data/embeddings.js';
import { internInThread, internTokens } from '../../src/data/intern.js';
import { prepareData } from '../../src/data/prepare.js';
import { buildTokenizer, type ConfiguredTokenizer } from '../../src/data/token-plugin.js';
import { tokenize } from '../../src/data/tokenize.js';
import { VectorTable } from '../../src/data/vector-table.js';
import type { Example, LabelledCorpus, PluginBlock } from '../../src/plugin-api.js';
import { createContainer } from '../../src/plugins/container.js';

const container = await createContainer();
/** Blocks as the validator leaves them: every param present. */
const unicode = (locale: string): PluginBlock => ({ type: 'unicode', locale, lowercase: true, elisions: true });
const build = (block: PluginBlock): Promise<ConfiguredTokenizer> => buildTokenizer(container, block);
const tokensOf = async (block: PluginBlock, text: string): Promise<string[]> => tokenize(text, (await build(block)).tokenizer);

const CASES: readonly { readonly block: PluginBlock; readonly text: string; readonly expected: readonly string[] }[] = [
  {
    // Elided articles and pronouns come off the word after them, typographic or straight apostrophe;
    // "aujourd'hui" is one word; the number stays whole; punctuation and € are not words.
    block: unicode('fr'),
    text: "Aujourd’hui, l’Homme n'a pas vu qu’il pleuvait : j’ai 3,5 €.",
    expected: ["aujourd'hui", "l'", 'homme', "n'", 'a', 'pas', 'vu', "qu'", 'il', 'pleuvait', "j'", 'ai', '3,5'],
  },
  {
    // A compound is one word; ü and ö are letters, the dash and "!" are not words.
    block: unicode('de'),
    text: 'Die Donaudampfschifffahrtsgesellschaft überquert 2024 den Fluss – schön!',
    expected: ['die', 'donaudampfschifffahrtsgesellschaft', 'überquert', '2024', 'den', 'fluss', 'schön'],
  },
  { block: unicode('ja'), text: '東京は大きな都市です。猫が好きです', expected: ['東京', 'は', '大きな', '都市', 'です', '猫', 'が', '好き', 'です'] },
  { block: unicode('zh'), text: '我喜欢看电影。', expected: ['我', '喜欢', '看', '电影'] },
  // Turkish lower-cases İ to i and I to ı.
  { block: unicode('tr'), text: 'İSTANBUL ILIK', expected: ['istanbul', 'ılık'] },
  { block: { ...unicode('fr'), lowercase: false, elisions: false }, text: "L'Homme", expected: ["L'Homme"] },
  { block: { type: 'whitespace', lowercase: false }, text: 'Ein  Beispiel,\tzwei\u00a0Wörter\u3000und\nZeilen ', expected: ['Ein', 'Beispiel,', 'zwei', 'Wörter', 'und', 'Zeilen'] },
  { block: { type: 'whitespace', lowercase: true }, text: 'ÉTÉ Été', expected: ['été', 'été'] },
];

for (const { block, text, expected } of CASES) {
  test(`${JSON.stringify(block)} cuts ${JSON.stringify(text)}`, async (t) => {
    t.deepEqual(await tokensOf(block, text), expected);
  });
}

test('the glove block is the core tokenizer, unchanged', async (t) => {
  const text = "Don't stop: it's a sci-fi cliché, 7/10...<br />";
  t.deepEqual(await tokensOf({ type: 'glove' }, text), tokenize(text));
});

const HELD_OUT = ['東京は大きな都市です', "L’homme qu'il a vu", '', 'Die Donaudampfschifffahrt', 'word '.repeat(40)];

test('a worker thread rebuilds the configured tokenizer and interns as this thread does', async (t) => {
  const { tokenizer, spec } = await build(unicode('ja'));
  const here = internTokens(HELD_OUT, 30, tokenizer);
  t.deepEqual(await internInThread(HELD_OUT, 30, spec), here);
  // Not the default's tokens: the thread really used the unicode tokenizer.
  t.notDeepEqual(internTokens(HELD_OUT, 30).tokens, here.tokens);
  t.true(here.tokens.includes("l'") && here.tokens.includes('東京'));
});

const example = (id: string, text: string, label = 0): Example => ({ id, text, label });
const FRENCH: LabelledCorpus = {
  labels: ['neg', 'pos'],
  train: [example('a', "L'homme aime l'été"), example('b', "L’été de l'homme", 1), example('c', "Qu'il aime l'hiver"), example('d', "J'aime", 1)],
  validation: [example('e', "L'automne")],
  test: [example('f', "L'homme et l'automne", 1)],
};

test('with random embeddings, the vocabulary is the training split as the tokenizer cuts it', async (t) => {
  const tokenizer = await build(unicode('fr'));
  let asked: readonly string[] = [];
  const embeddings = randomEmbeddings({ dim: 4, seed: 1, words: [], trainable: true, vocabularyFromTraining: { minCount: 2, maxSize: 0 } });
  const source = { minCount: 2, maxSize: 0, load: (words: readonly string[]) => ((asked = words), embeddings.load(words)) };
  const prepared = await prepareData(FRENCH, source, { maxLength: 10, tokenizer });
  // Counts: l' 5, homme 2, aime 3, été 2; qu', il, de, hiver, j' once.
  t.deepEqual(asked, ["l'", 'aime', 'homme', 'été']);
  t.deepEqual(prepared.vocabulary, ['<pad>', '<unk>', "l'", 'homme', 'aime', 'été']);
  // "l'homme et l'automne": et and automne were never trained on.
  t.deepEqual([...prepared.test.ids], [2, 3, 1, 2, 1]);
});

test('held-out splits tokenised partly in a worker thread encode as in this thread, with the configured tokenizer', async (t) => {
  const tokenizer = await build(unicode('fr'));
  const table = new VectorTable(["l'", 'homme', 'automne', 'été'], new Float32Array(8), 2);
  const inThisThread = await prepareData(FRENCH, table, { maxLength: 10, threadFrom: Infinity, tokenizer });
  t.deepEqual(await prepareData(FRENCH, table, { maxLength: 10, threadFrom: 0, tokenizer }), inThisThread);
  // "l'automne": automne has a vector but no training occurrence, so it is UNK.
  t.deepEqual([...inThisThread.validation.ids], [2, 1]);
});

test('the tokenised-dataset cache keys on the tokenizer: another tokenizer or other params tokenise anew', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'attnlab-tokenizer-cache-'));
  const table = new VectorTable(["l'", 'homme'], new Float32Array(4), 2);
  let tokenised = 0;
  const prepare: typeof prepareData = async (...args) => {
    tokenised++;
    return prepareData(...args);
  };
  const options = { maxLength: 10, cacheDir, embeddings: { type: 'test' }, cacheFrom: 0, prepare };
  const french = await build(unicode('fr'));
  const first = await prepareWithCache(FRENCH, table, { ...options, tokenizer: french });
  t.deepEqual(await prepareWithCache(FRENCH, table, { ...options, tokenizer: french }), first);
  t.is(tokenised, 1);
  await prepareWithCache(FRENCH, table, { ...options, tokenizer: await build({ ...unicode('fr'), elisions: false }) });
  await prepareWithCache(FRENCH, table, { ...options, tokenizer: await build({ type: 'glove' }) });
  t.is(tokenised, 3);
  const key = (tokenizer: PluginBlock) => datasetCacheKey(FRENCH, { embeddings: {}, maxLength: 10, tokenizer });
  t.not(key(unicode('fr')), key(unicode('de')));
});
