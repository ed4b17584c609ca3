/**
 * A run on French texts with the unicode tokenizer and a vocabulary from the training split: it
 * trains, records its tokenizer, and predict and explain cut new texts as training did. Bad
 * tokenizer blocks are refused before anything runs, naming file, line and key.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { tokenize } from '../../src/data/tokenize.js';
import { silentProgress } from '../../src/progress.js';
import { explainRun } from '../../src/run/explain.js';
import { runExperiment } from '../../src/run/experiment.js';
import { predictRun } from '../../src/run/predict.js';
import { runCliInProcess } from '../helpers/cli.js';

const folder = mkdtempSync(join(tmpdir(), 'attnlab-french-'));
const FILLER = ["l'acteur", "qu'on", 'voit', "d'abord", 'le', 'film', "l’histoire", 'est'];
/** 60 French reviews: "j'adore" makes one positive, "déteste" negative; the rest is filler with elisions. */
const rows = Array.from({ length: 60 }, (_, i) => {
  const words = Array.from({ length: 5 }, (_, k) => FILLER[(i * 3 + k * 5) % FILLER.length]);
  words.splice(i % 4, 0, i % 2 ? "j'adore" : 'déteste');
  return { text: words.join(' '), label: i % 2 ? 'pos' : 'neg' };
});
const data = join(folder, 'avis.csv');
writeFileSync(data, `text,label\n${rows.map((row) => `"${row.text}",${row.label}`).join('\n')}\n`);
writeFileSync(
  join(folder, 'avis.yaml'),
  `data: { type: csv, path: avis.csv, test: avis.csv, val_fraction: 0.2 }
tokenizer: { type: unicode, locale: fr }
embeddings: { type: random, dim: 8, trainable: true, vocabulary: training }
train: { epochs: 2, lr: 0.02, batch_size: 16, max_length: 12, patience: 0 }
tracking: { uri: ${join(folder, 'runs')} }
`,
);
const run = await runExperiment(join(folder, 'avis.yaml'), [], { progress: silentProgress, log: () => {} });
const artifacts = run.artifactDir ?? '';
/** The tokens the unicode tokenizer gives a review, written out by hand for the words above. */
const FRENCH_TOKENS: Readonly<Record<string, readonly string[]>> = {
  "l'acteur": ["l'", 'acteur'],
  "qu'on": ["qu'", 'on'],
  "d'abord": ["d'", 'abord'],
  "l’histoire": ["l'", 'histoire'],
  "j'adore": ["j'", 'adore'],
};
const expectedTokens = (text: string): string[] => text.split(' ').flatMap((word) => FRENCH_TOKENS[word] ?? [word]);

test.serial('the run trains and records its tokenizer in config.yaml', (t) => {
  t.is(run.epochs.length, 2);
  const config = parse(readFileSync(join(artifacts, 'config.yaml'), 'utf8')) as { tokenizer: unknown };
  t.deepEqual(config.tokenizer, { type: 'unicode', locale: 'fr', lowercase: true, elisions: true });
});

test.serial('the vocabulary holds the tokens as the unicode tokenizer cut them, elisions apart', (t) => {
  const vocabulary = readFileSync(join(artifacts, 'checkpoint', 'vocabulary.txt'), 'utf8').split('\n');
  for (const token of ["l'", 'acteur', "qu'", "j'", 'adore', 'déteste']) t.true(vocabulary.includes(token), token);
  t.false(vocabulary.includes("l'acteur"));
});

test.serial('predict cuts each text as training did: its attended words are the unicode tokens', async (t) => {
  const output = join(folder, 'predicted.jsonl');
  await predictRun(artifacts, { input: data, output, text: 'text', top: 12, progress: silentProgress });
  const predicted = readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { top: { token: string }[] });
  t.is(predicted.length, rows.length);
  predicted.forEach((row, index) => t.deepEqual(row.top.map(({ token }) => token).sort(), expectedTokens(rows[index].text).sort()));
});

test.serial('explain cuts a new text with the run\'s tokenizer', async (t) => {
  const text = "J'adore l’histoire";
  const explanation = await explainRun(artifacts, { texts: [text], examples: 0, permutations: 2 });
  t.deepEqual(explanation.examples[0].tokens, ["j'", 'adore', "l'", 'histoire']);
  t.notDeepEqual(explanation.examples[0].tokens, tokenize(text));
});

const BAD: readonly { readonly block: string; readonly message: RegExp }[] = [
  { block: 'tokenizer: { type: unicod }', message: /bad\.yaml:2:\d+: tokenizer\.type: unknown tokenizer "unicod".*did you mean "unicode"/ },
  { block: 'tokenizer: { type: unicode, locale: fr_FR }', message: /bad\.yaml:2:\d+: tokenizer\.locale: .*pattern/ },
  { block: 'tokenizer: { type: whitespace, lowercas: true }', message: /bad\.yaml:2:\d+: tokenizer\.lowercas: unknown key "lowercas".*did you mean "lowercase"/ },
];

for (const { block, message } of BAD) {
  test.serial(`validate refuses ${block} with exit 2, naming file, line and key`, async (t) => {
    const file = join(mkdtempSync(join(tmpdir(), 'attnlab-bad-tokenizer-')), 'bad.yaml');
    writeFileSync(file, `data: { type: synthetic }\n${block}\n`);
    const result = await runCliInProcess(['validate', file]);
    t.is(result.code, 2);
    t.regex(result.stdout + result.stderr, message);
  });
}
