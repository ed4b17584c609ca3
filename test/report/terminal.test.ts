import test from 'ava';
import type { AttentionExample } from '../../src/report/examples.js';
import { formatExplanation, formatTopWords, shadeText, useColor } from '../../src/report/terminal.js';

const ESC = '\x1b';
const tokens = ['a', 'truly', 'wonderful', 'film', 'overall'];
const weights = [0.02, 0.1, 0.7, 0.15, 0.03];

test('colour is on for a TTY, off for a pipe and off whenever NO_COLOR is set', (t) => {
  t.true(useColor({ isTTY: true }, {}));
  t.false(useColor({ isTTY: false }, {}));
  t.false(useColor({}, {}));
  t.false(useColor({ isTTY: true }, { NO_COLOR: '1' }));
  // no-color.org: an empty NO_COLOR does not count as set.
  t.true(useColor({ isTTY: true }, { NO_COLOR: '' }));
});

test('with colour, attended words get a 256-colour background and faint ones stay plain', (t) => {
  const text = shadeText(tokens, weights, { color: true });
  t.true(text.includes(`${ESC}[48;5;196;38;5;16mwonderful${ESC}[0m`), 'the heaviest word takes the darkest shade');
  t.regex(text, new RegExp(`${ESC}\\[48;5;\\d+;38;5;16mtruly`));
  t.true(text.startsWith('a '), 'a word under 5% of the largest weight is not shaded');
});

test('without colour, there is no escape code and the top words carry their weights', (t) => {
  const text = shadeText(tokens, weights, { color: false, topK: 2 });
  t.false(text.includes(ESC));
  t.is(text, 'a truly wonderful[0.700] film[0.150] overall');
});

test('escape sequences inside review text are neutralised', (t) => {
  const text = shadeText([`evil${ESC}[2J`, 'ok'], [0.5, 0.5], { color: false });
  t.false(text.includes(ESC));
  t.true(text.includes('evil\uFFFD[2J'));
});

test('long reviews wrap at the given width, counting visible columns only', (t) => {
  const many = Array.from({ length: 40 }, (_, i) => `w${i}`);
  const even = many.map(() => 1 / many.length);
  for (const color of [true, false]) {
    const lines = shadeText(many, even, { color, width: 30 }).split('\n');
    t.true(lines.length > 1);
    for (const line of lines) t.true(line.replace(/\x1b\[[0-9;]*m/g, '').length <= 30, line);
  }
});

test('top words are listed heaviest first', (t) => {
  t.is(formatTopWords(tokens, weights, 3), 'wonderful 0.700 · film 0.150 · truly 0.100');
});

test('an explanation shows the prediction, true label, verdict, top words and text', (t) => {
  const example: AttentionExample = { tokens, weights, predicted: 'positive', probability: 0.9312, label: 'negative' };
  const lines = formatExplanation(example, { color: false, topK: 1 }).split('\n');
  t.regex(lines[0], /^predicted positive \(p = 0\.931\), true negative ✗ wrong · H = [\d.]+, H\/log n = [\d.]+, n = 5$/);
  t.is(lines[1], 'top words: wonderful 0.700');
  t.is(lines[2], 'a truly wonderful[0.700] film overall');
  const unlabelled = formatExplanation({ ...example, label: undefined }, { color: false });
  t.false(unlabelled.includes('true'));
});

test('top words name each word once with its summed weight; a cut review says where it was cut', (t) => {
  const example = { tokens: ['conan', 'is', 'conan', 'again'], weights: [0.3, 0.1, 0.4, 0.2], predicted: 'pos', probability: 0.9, fullLength: 812 };
  t.is(formatTopWords(example.tokens, example.weights, 3), 'conan 0.700 (×2) · again 0.200 · is 0.100');
  const text = formatExplanation(example, { color: false });
  t.true(text.includes('top words: conan 0.700 (×2) · again 0.200'));
  t.true(text.includes('[… cut after word 4 of 812: the model read no further]'));
  t.false(formatExplanation({ ...example, fullLength: 4 }, { color: false }).includes('cut after'));
});
