import test from 'ava';

// Serial: the backend is global to the process.
import { AttnlabError } from '../../src/errors.js';
import { selectBackend } from '../../src/nn/backend.js';
import { describeSimdPath, simdPath } from '../../src/nn/wasm/runtime.js';

test.serial('auto takes the fastest backend that loads, never plain cpu while wasm works', async (t) => {
  const { tf, backend } = await selectBackend('auto');
  t.true(['tensorflow', 'wasm'].includes(backend));
  t.is(tf.getBackend(), backend);
});

test.serial('an explicit choice is honoured', async (t) => {
  t.is((await selectBackend('cpu')).backend, 'cpu');
  t.is((await selectBackend('wasm')).backend, 'wasm');
});

test.serial('an explicit backend that cannot load is an error naming it and why', async (t) => {
  let nativeLoads = true;
  try {
    await import('@tensorflow/tfjs-node' as string);
  } catch {
    nativeLoads = false;
  }
  if (nativeLoads) {
    t.is((await selectBackend('tensorflow')).backend, 'tensorflow');
    return;
  }
  const error = await t.throwsAsync(selectBackend('tensorflow'), { instanceOf: AttnlabError });
  t.is(error.code, 'backend-unavailable');
  t.regex(error.message, /"tensorflow".*@tensorflow\/tfjs-node is not installed/);
});

test.serial('the selected backend says how attnlab’s kernels compute: with fused multiply-add or not', async (t) => {
  const { kernels } = await selectBackend('wasm');
  t.is(kernels, describeSimdPath());
  t.regex(kernels, simdPath() === 'fused' ? /with fused multiply-add/ : /no fused multiply-add/);
});
