import test from 'ava';
import { Writable } from 'node:stream';
import { createProgress, formatAmount, formatCount, formatDuration } from '../../src/progress.js';

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
  t.regex(line, /500 B\/1\.0 kB/);
  t.regex(line, /227 B\/s/);
  t.regex(line, /ETA 0:02/);
  t.regex(line, /loss 0\.25/);
  bar.done();
  t.true(output().endsWith('\n'));
  // The closing line replaces the bar and stays: no erase after it, so no blank line.
  const closing = output().split('\r').at(-1) ?? '';
  t.regex(closing, /^\x1b\[2Kdownloading: 500 B in 2\.2 s {2}loss 0\.25\n$/);
});

test('a bar left unfinished is erased when the process exits, a finished one is not', (t) => {
  const { stream, output } = fakeStream(true);
  const before = process.listenerCount('exit');
  const bar = createProgress({ stream, now: () => 0 }).start('epoch 1/3', 10, 'reviews');
  t.is(process.listenerCount('exit'), before + 1);
  process.listeners('exit').at(-1)?.call(process, 0);
  t.true(output().endsWith('\r\x1b[2K'));
  bar.done();
  t.is(process.listenerCount('exit'), before);
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
  t.is(formatAmount(54_500_000, 'B'), '54.5 MB');
  t.is(formatAmount(512, 'B'), '512 B');
  t.is(formatAmount(1200, 'reviews'), '1.2k reviews');
  t.is(formatAmount(7, ''), '7');
});
