import test from 'ava';
import { runInThread } from '../src/thread.js';

const fixture = (name: string): URL => new URL(`./fixtures/threads/${name}.ts`, import.meta.url);

test('a module in a worker thread answers its request; transferred buffers move', async (t) => {
  const numbers = Float64Array.of(1, 2, 3.5);
  const answer = await runInThread<{ numbers: Float64Array }, { sum: number; numbers: Float64Array }>(fixture('echo'), { numbers }, [numbers.buffer]);
  t.is(answer.sum, 6.5);
  t.deepEqual([...answer.numbers], [1, 2, 3.5]);
  t.is(numbers.length, 0, 'the sent buffer was moved, not copied');
});

test("the module's error rejects the request", async (t) => {
  await t.throwsAsync(runInThread(fixture('failing'), 'this'), { message: /failing\.ts failed: cannot answer this$/ });
});

test('a module that never answers rejects the request when its thread stops', async (t) => {
  await t.throwsAsync(runInThread(new URL('data:text/javascript,'), 'anything'), { message: /stopped \(exit code 0\) before it answered/ });
});
