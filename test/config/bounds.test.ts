/**
 * Hostile config files are refused in bounded time and memory: the limits are generous (a
 * loaded machine), the figures themselves are in `npm run bench -- config`.
 */
import test from 'ava';
import { aliasBomb, configOfKeys, measureRefusal } from '../../bench/config.js';

test.serial('an alias bomb is refused in under a second, in little memory', async (t) => {
  const refusal = await measureRefusal(aliasBomb(9), false);
  t.is(refusal.problems, 1);
  t.true(refusal.seconds < 1, `${refusal.seconds.toFixed(2)} s`);
  t.true(refusal.heapMb < 64, `${refusal.heapMb.toFixed(0)} MB`);
});

test.serial('a 10 MB config of keys is refused at once, without being parsed', async (t) => {
  const refusal = await measureRefusal(configOfKeys(10 * 2 ** 20), true);
  t.is(refusal.problems, 1);
  t.true(refusal.seconds < 5, `${refusal.seconds.toFixed(2)} s`);
  t.true(refusal.heapMb < 64, `${refusal.heapMb.toFixed(0)} MB`);
});

test.serial('a config of 256 KB of keys is validated, its problems listed up to a limit', async (t) => {
  const refusal = await measureRefusal(configOfKeys(2 ** 18), true);
  // 100 listed, then one "… and N more".
  t.is(refusal.problems, 101);
  t.true(refusal.seconds < 60, `${refusal.seconds.toFixed(2)} s`);
  t.true(refusal.heapMb < 512, `${refusal.heapMb.toFixed(0)} MB`);
});
