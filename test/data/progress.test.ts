import test from 'ava';
import { Writable } from 'node:stream';
import { createProgress, formatCount, formatDuration } from '../../src/progress.js';

function fakeStream(isTTY: boolean): { stream: Writable & { isTTY: boolean; columns: number }; output: () => string } {
  let written = '';
  const stream = Object.assign(new Writable({ write(chunk, _encoding, done) { written += String(chunk); done(); } }), { isTTY, columns: 120 });
  return { stream, output: () => written };
}

test('on a TTY: one redrawn line with percent, count, rate, ETA and status', (t) => {
  const { stream, output } = fakeStream(true);
  let now = 0;
  const bar = createProgress({ stream, now: () => now }).start('downloading', 1000, 'B');
  now = 2000;
  bar.tick(500);
  now = 2200;
  bar.status('loss 0.25');
  const line = output().split('\r').at(-1) ?? '';
  t.regex(line, /downloading +50%/);
  t.regex(line, /500\/1\.0k B/);
  t.regex(line, /227 B\/s/);
  t.regex(line, /ETA 0:02/);
  t.regex(line, /loss 0\.25/);
  bar.done();
  t.true(output().endsWith('\n'));
});

test('not a TTY: a start line, no bar characters, a closing line', (t) => {
  const { stream, output } = fakeStream(false);
  let now = 0;
  const bar = createProgress({ stream, now: () => now }).start('parsing', 10);
  for (let i = 0; i < 10; i++) bar.tick(1);
  now = 1500;
  bar.done();
  const lines = output().trim().split('\n');
  t.deepEqual(lines, ['parsing…', 'parsing: 10 in 1.5 s']);
  t.false(output().includes('\r'));
});

test('plain lines can be switched off', (t) => {
  const { stream, output } = fakeStream(false);
  const bar = createProgress({ stream, plainLines: false }).start('quiet', 10);
  bar.tick(10);
  bar.done();
  t.is(output(), '');
});

test('NO_COLOR leaves out escape colours', (t) => {
  const previous = process.env.NO_COLOR;
  process.env.NO_COLOR = '1';
  try {
    const { stream, output } = fakeStream(true);
    const bar = createProgress({ stream, now: () => 500 }).start('x', 10);
    bar.tick(5);
    t.false(/\x1b\[3\d?m/.test(output()));
  } finally {
    if (previous === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = previous;
  }
});

test('counts and durations are short', (t) => {
  t.is(formatCount(999), '999');
  t.is(formatCount(84_125_825), '84.1M');
  t.is(formatDuration(75), '1:15');
  t.is(formatDuration(3725), '1:02:05');
  t.is(formatDuration(Infinity), '?');
});
