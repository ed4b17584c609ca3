import test from 'ava';
import { Worker } from 'node:worker_threads';
import { AttnlabError } from '../../../src/errors.js';
import { KERNEL_ACTIVATIONS, activationModule, activationModuleBytes, type ActivationExports } from '../../../src/nn/wasm/activation-kernels.js';
import { attentionModule, attentionModuleBytes, type AttentionExports } from '../../../src/nn/wasm/attention-kernels.js';
import { denseModule, denseModuleBytes, type DenseKernels } from '../../../src/nn/wasm/dense-kernels.js';
import { f32x4, generateFor, get, type SimdPath } from '../../../src/nn/wasm/emitter.js';
import { GATES, recurrentModule, recurrentModuleBytes, type CellType, type RecurrentKernels } from '../../../src/nn/wasm/recurrent-kernels.js';
import { chooseSimdPath, compiledKernel, createMemory, instantiate, relaxedSimdValidates, simdPath, type WasmModule } from '../../../src/nn/wasm/runtime.js';
import { pseudoRandom } from '../../helpers/numeric.js';

// Enables V8's flag where relaxed SIMD still needs it (Node 20), as the first kernel compile would.
const fusedRuns = relaxedSimdValidates();
const fusedTest = fusedRuns ? test : test.skip;

test('every Node attnlab supports (20.19 and later) runs relaxed SIMD, Node 20 once the V8 flag is set', (t) => {
  t.true(fusedRuns);
});

test('ATTNLAB_SIMD=plain forces the plain path without asking the engine', (t) => {
  t.is(
    chooseSimdPath('plain', () => t.fail('the engine was asked')),
    'plain',
  );
});

test('unset or auto, the path is fused where relaxed SIMD validates and plain where it does not', (t) => {
  for (const setting of [undefined, '', 'auto']) {
    t.is(chooseSimdPath(setting, () => true), 'fused');
    t.is(chooseSimdPath(setting, () => false), 'plain');
  }
});

test('an unknown ATTNLAB_SIMD is an error naming the variable and the settings', (t) => {
  const error = t.throws(() => chooseSimdPath('fma', () => true), { instanceOf: AttnlabError });
  t.is(error?.code, 'bad-simd-setting');
  t.regex(error?.message ?? '', /ATTNLAB_SIMD="fma".*"plain".*"auto"/);
});

test('the process takes the fused path exactly where relaxed SIMD validates, unless told otherwise', (t) => {
  t.is(simdPath(), process.env.ATTNLAB_SIMD === 'plain' || !fusedRuns ? 'plain' : 'fused');
});

test('f32x4.madd outside generateFor is an error: a module must know its path', (t) => {
  t.throws(() => f32x4.madd(get({ index: 0, type: 'v128' }), get({ index: 1, type: 'v128' }), get({ index: 2, type: 'v128' })), { message: /generateFor/ });
});

/** relaxed_madd after its 0xfd prefix: 0x105 as unsigned LEB128. */
const RELAXED_MADD = [0xfd, 0x85, 0x02];
const hasRelaxedMadd = (bytes: Uint8Array): boolean => bytes.some((_, index) => RELAXED_MADD.every((byte, offset) => bytes[index + offset] === byte));

fusedTest('kernel modules are generated for their path and compiled once per key and path', (t) => {
  const generated: boolean[] = [];
  const generate = () => {
    const bytes = activationModuleBytes();
    generated.push(hasRelaxedMadd(bytes));
    return bytes;
  };
  const paths = ['plain', 'fused'] as const;
  const modules = paths.map((path) => compiledKernel('cache-test', generate, path));
  t.deepEqual(
    paths.map((path) => compiledKernel('cache-test', generate, path)),
    modules,
  );
  t.deepEqual(generated, [false, true]);
  t.not(modules[0], modules[1]);
});

const FAMILY_BYTES: Record<string, () => Uint8Array> = {
  dense: () => denseModuleBytes(12, 20),
  attention: attentionModuleBytes,
  activation: activationModuleBytes,
  lstm: () => recurrentModuleBytes('lstm', 16, 12),
  gru: () => recurrentModuleBytes('gru', 16, 12),
};

for (const [family, bytes] of Object.entries(FAMILY_BYTES)) {
  test(`${family}: the fused module multiply-adds with relaxed_madd, the plain one never`, (t) => {
    t.true(hasRelaxedMadd(generateFor('fused', bytes)));
    t.false(hasRelaxedMadd(generateFor('plain', bytes)));
  });
}

fusedTest('worker threads validate the fused modules too: the flag holds for the whole process', async (t) => {
  const bytes = generateFor('fused', () => recurrentModuleBytes('lstm', 16, 12, true));
  const source = "const { parentPort, workerData } = require('node:worker_threads'); parentPort.postMessage(WebAssembly.validate(workerData));";
  const worker = new Worker(source, { eval: true, workerData: bytes });
  const validates = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
  await worker.terminate();
  t.true(validates);
});

/** Slots of a kernel scenario's memory: 16 KiB each, ample for the small sizes below. */
const SLOT_BYTES = 16_384;
const SLOTS = 24;
const slot = (index: number): number => index * SLOT_BYTES;

/**
 * Runs `calls` on an instance of each path's module over a memory filled with the same
 * pseudo-random floats (scaled by `scale`), and checks the two memories agree to float tolerance
 * afterwards, and that the calls wrote something.
 */
function agreeOnBothPaths<Exports>(module: (path: SimdPath) => WasmModule, calls: (kernels: Exports) => void, scale = 1) {
  return (t: import('ava').ExecutionContext) => {
    const initial = pseudoRandom((SLOTS * SLOT_BYTES) / 4, 17, scale);
    const [plain, fused] = (['plain', 'fused'] as const).map((path) => {
      const memory = createMemory(SLOTS * SLOT_BYTES);
      const floats = new Float32Array(memory.buffer, 0, initial.length);
      floats.set(initial);
      calls(instantiate<Exports>(module(path), memory));
      return floats;
    });
    let written = 0;
    let disagreeing = 0;
    plain.forEach((value, index) => {
      if (value !== initial[index]) written++;
      if (!(Math.abs(value - fused[index]) <= 1e-5 * Math.max(1, Math.abs(value)))) {
        if (disagreeing++ < 5) t.log(`float ${index}: plain ${value}, fused ${fused[index]}`);
      }
    });
    t.true(written > 0, 'the calls wrote nothing');
    t.is(disagreeing, 0);
  };
}

fusedTest(
  'dense: product, input and weight gradients agree on both paths',
  agreeOnBothPaths<DenseKernels>(
    (path) => denseModule(12, 20, path),
    (kernels) => {
      kernels.forward(slot(0), slot(1), slot(2), slot(3), 8);
      kernels.inputGradient(slot(4), slot(5), slot(6), slot(7), 8);
      kernels.weightGradient(slot(8), slot(9), slot(10), 7);
      kernels.biasGradient(slot(11), slot(12), 5);
    },
  ),
);

fusedTest(
  'attention: weighted sums, row dots and outer rows agree on both paths',
  agreeOnBothPaths<AttentionExports>(attentionModule, (kernels) => {
    kernels.weightedRows(slot(0), slot(1), slot(2), 3, 5, 4 * 12);
    kernels.rowDots(slot(3), slot(4), slot(5), 3, 5, 4 * 12, 4 * 12);
    kernels.rowDots(slot(6), slot(7), slot(8), 3, 5, 4 * 12, 0);
    kernels.outerRows(slot(9), slot(10), slot(11), 3, 5, 4 * 12, 0);
    kernels.outerRowsAdd(slot(12), slot(13), slot(11), 3, 5, 4 * 12, 4 * 12);
  }),
);

fusedTest(
  'activation: every forward and backward agrees on both paths, over e^x’s whole range',
  agreeOnBothPaths<ActivationExports>(
    activationModule,
    (kernels) =>
      KERNEL_ACTIVATIONS.forEach((activation, index) => {
        kernels[`${activation}Forward`](slot(3 * index), 256);
        kernels[`${activation}Backward`](slot(3 * index + 1), slot(3 * index + 2), 256);
      }),
    // e^x clamps beyond [−87, 88]: inputs up to ±100 cover the polynomial, the clamps and the tails.
    100,
  ),
);

for (const cell of ['lstm', 'gru'] as const satisfies readonly CellType[]) {
  const [hidden, input] = [16, 12];
  const width = GATES[cell] * hidden;
  fusedTest(
    `${cell}: matmuls, gradient matmuls and row steps agree on both paths`,
    agreeOnBothPaths<RecurrentKernels>(
      (path) => recurrentModule(cell, hidden, input, false, path),
      (kernels) => {
        kernels.forwardMatmul(slot(0), 4 * (hidden + 4), slot(1), slot(2), 4 * width, 8, 0);
        kernels.forwardMatmul(slot(0), 4 * hidden, slot(1), slot(3), 4 * width, 4, 1);
        kernels.backwardMatmul(slot(4), 4 * width, slot(5), slot(6), 4 * hidden, 8, 1);
        kernels.inputMatmul(slot(7), 4 * input, slot(8), slot(9), 4 * width, 8, 1);
        kernels.inputGradientMatmul(slot(10), 4 * (input + 4), slot(11), 4 * width, slot(12), 5);
        kernels.recurrentGradientMatmul(slot(13), 4 * hidden, slot(14), 4 * width, slot(15), 6);
        kernels.columnSums(slot(16), 4 * width, slot(17), 5);
        kernels.forwardRow(slot(18), slot(18) + 4096, slot(19), slot(20), slot(20) + 4096, slot(20) + 8192, slot(21), slot(21) + 4096, slot(21) + 8192, slot(18));
        kernels.backwardRow(slot(19), slot(20) + 4096, slot(22), slot(22) + 4096, slot(22) + 8192, slot(23), slot(23) + 4096, slot(21) + 4096, slot(21) + 8192);
      },
    ),
  );
}
