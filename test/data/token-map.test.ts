import test from 'ava';
import { TokenMap } from '../../src/data/token-map.js';
import { hashRange } from '../../src/data/token-hash.js';

function get(map: TokenMap, source: string, start = 0, end = source.length): number {
  return map.get(source, start, end, hashRange(source, start, end));
}

function set(map: TokenMap, source: string, value: number, start = 0, end = source.length): void {
  map.set(source, start, end, hashRange(source, start, end), value);
}

test('finds each token by its text, wherever the range lies', (t) => {
  const map = new TokenMap();
  set(map, 'the film', 7, 4, 8);
  set(map, 'caf\u00e9', 3);
  t.is(get(map, 'film'), 7);
  t.is(get(map, 'a film.', 2, 6), 7);
  t.is(get(map, 'caf\u00e9'), 3);
  t.is(get(map, 'films'), -1);
  t.is(get(map, 'fil'), -1);
  t.is(map.size, 2);
});

test('keeps every token through the growth of its table', (t) => {
  const map = new TokenMap();
  const tokens = Array.from({ length: 100_000 }, (_, i) => `t${i.toString(36)}`);
  tokens.forEach((token, value) => set(map, token, value));
  t.is(map.size, tokens.length);
  t.true(tokens.every((token, value) => get(map, token) === value));
  t.is(get(map, 'missing'), -1);
});
