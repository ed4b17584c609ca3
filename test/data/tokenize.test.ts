import test from 'ava';
import { readFileSync } from 'node:fs';
import { forEachToken, tokenize } from '../../src/data/tokenize.js';
import { hashRange } from '../../src/data/token-hash.js';

const cases: ReadonlyArray<readonly [string, string[]]> = [
  ['Hello World', ['hello', 'world']],
  ["I don't know", ['i', 'do', "n't", 'know']],
  ["It's great, isn't it?", ['it', "'s", 'great', ',', 'is', "n't", 'it', '?']],
  ["I'm sure we'll see; they're here, we've won, he'd go", ['i', "'m", 'sure', 'we', "'ll", 'see', ';', 'they', "'re", 'here', ',', 'we', "'ve", 'won', ',', 'he', "'d", 'go']],
  ["Can't won't", ['ca', "n't", 'wo', "n't"]],
  ['Good.<br /><br />Bad.<br/>Ugly<br>', ['good', '.', 'bad', '.', 'ugly']],
  ['Wait... what -- no!!', ['wait', '...', 'what', '--', 'no', '!', '!']],
  ['A sci-fi film, 3.5/10 and 1,000 fans', ['a', 'sci-fi', 'film', ',', '3.5', '/', '10', 'and', '1,000', 'fans']],
  ["O'Neil's \"best\" (really)", ["o'neil", "'s", '"', 'best', '"', '(', 'really', ')']],
  ["James' car", ['james', "'", 'car']],
  ['isn\u2019t CAF\u00c9', ['is', "n't", 'caf\u00e9']],
  ['', []],
  ['   \n\t ', []],
  ['end.', ['end', '.']],
];

for (const [text, expected] of cases) {
  test(`tokenize ${JSON.stringify(text)}`, (t) => {
    t.deepEqual(tokenize(text), expected);
  });
}

test('forEachToken reports the same tokens as ranges', (t) => {
  const text = "Don't stop... the sci-fi <br />film's 3.5 stars!";
  const seen: string[] = [];
  forEachToken(text, (source, start, end) => seen.push(source.slice(start, end)));
  t.deepEqual(seen, tokenize(text));
});

test('the acute accent reads as an apostrophe; C1 controls are dropped', (t) => {
  t.deepEqual(tokenize('don\u00b4t \u0096 stop\u0085'), ['do', "n't", 'stop']);
});

/** 6,000 random pieces (clitics, numbers, dots, tags, C1 controls, spaces and letters of many scripts, emoji) and their tokens. */
const pinned = JSON.parse(readFileSync(new URL('../fixtures/data/tokenize-pinned.json', import.meta.url), 'utf8')) as { text: string; tokens: string[] };

test('a long text mixing every rule tokenises exactly as pinned', (t) => {
  t.deepEqual(tokenize(pinned.text), pinned.tokens);
});

test('forEachToken hands each token its hash', (t) => {
  const wrong: string[] = [];
  forEachToken(pinned.text, (source, start, end, hash) => {
    if (hash !== hashRange(source, start, end)) wrong.push(source.slice(start, end));
  });
  t.deepEqual(wrong, []);
});
