/**
 * `npm run bench -- simd`: each kernel family's hot functions on the plain and the fused SIMD
 * path (see `src/nn/wasm/emitter.ts`), at the sizes the models run them, both modules in this
 * process and timed in turns, round by round, so that the load of the machine falls on both
 * alike. Prints each path's median per call and plain ÷ fused (above 1: fused is faster).
 *
 * `node --import=tsx bench/simd.ts [rounds]`
 */
import { pathToFileURL } from 'node:url';
import { activationModule, type ActivationExports } from '../src/nn/wasm/activation-kernels.js';
import { attentionModule, type AttentionExports } from '../src/nn/wasm/attention-kernels.js';
import { denseModule, type DenseKernels } from '../src/nn/wasm/dense-kernels.js';
import type { SimdPath } from '../src/nn/wasm/emitter.js';
import { recurrentModule, type RecurrentKernels } from '../src/nn/wasm/recurrent-kernels.js';
import { createMemory, instantiate, relaxedSimdValidates, type WasmModule } from '../src/nn/wasm/runtime.js';

const BATCH = 64;
/** A padded length of IMDB's bucketed batches. */
const TIME = 230;
const DIM = 100;
/** Distinct tokens of a batch, which a value transform runs on (about a fifth of its positions). */
const DISTINCT_ROWS = 2_944;
const HIDDEN = 64;
/** Bytes between the arrays a call reads and writes: each region holds the largest of them. */
const REGION = 16 * 1024 * 1024;
const PATHS: readonly SimdPath[] = ['plain', 'fused'];

/** One kernel function at one size; `call` runs it on an instance over regions 0–3 of its memory. */
interface KernelCase<Exports> {
  readonly family: string;
  readonly label: string;
  readonly module: (path: SimdPath) => WasmModule;
  /** Calls per timing, so that one timing lasts a few ms. */
  readonly calls: number;
  readonly call: (kernels: Exports, region: (index: number) => number) => void;
}

const kernelCase = <Exports>(spec: KernelCase<Exports>): KernelCase<unknown> => spec as KernelCase<unknown>;

const region = (index: number): number => index * REGION;
const width = 4 * HIDDEN;

const CASES: readonly KernelCase<unknown>[] = [
  kernelCase<DenseKernels>({ family: 'dense', label: `forward [${DISTINCT_ROWS}, ${DIM}]·[${DIM}, ${DIM}]`, module: (path) => denseModule(DIM, DIM, path), calls: 4, call: (k, at) => k.forward(at(0), at(1), at(2), at(3), DISTINCT_ROWS) }),
  kernelCase<DenseKernels>({ family: 'dense', label: 'input gradient', module: (path) => denseModule(DIM, DIM, path), calls: 4, call: (k, at) => k.inputGradient(at(0), at(1), at(2), at(3), DISTINCT_ROWS) }),
  kernelCase<DenseKernels>({
    family: 'dense',
    label: 'weight gradient (panels of 32 rows)',
    module: (path) => denseModule(DIM, DIM, path),
    calls: 4,
    call: (k, at) => {
      for (let row = 0; row < DISTINCT_ROWS; row += 32) k.weightGradient(at(0) + 4 * row * DIM, at(1) + 4 * row * DIM, at(2), 32);
    },
  }),
  kernelCase<AttentionExports>({ family: 'attention', label: `weighted row sums [${BATCH}, ${TIME}, ${DIM}]`, module: attentionModule, calls: 8, call: (k, at) => k.weightedRows(at(0), at(1), at(2), BATCH, TIME, 4 * DIM) }),
  kernelCase<AttentionExports>({ family: 'attention', label: 'row dots', module: attentionModule, calls: 8, call: (k, at) => k.rowDots(at(0), at(1), at(2), BATCH, TIME, 4 * DIM, 4 * DIM) }),
  kernelCase<ActivationExports>({ family: 'activation', label: `tanh forward, ${DISTINCT_ROWS}×${DIM}`, module: activationModule, calls: 8, call: (k, at) => k.tanhForward(at(0), DISTINCT_ROWS * DIM) }),
  kernelCase<ActivationExports>({ family: 'activation', label: 'sigmoid forward', module: activationModule, calls: 8, call: (k, at) => k.sigmoidForward(at(0), DISTINCT_ROWS * DIM) }),
  kernelCase<ActivationExports>({ family: 'activation', label: 'elu backward', module: activationModule, calls: 8, call: (k, at) => k.eluBackward(at(0), at(1), DISTINCT_ROWS * DIM) }),
  ...(['lstm', 'gru'] as const).flatMap((cell) => {
    const module = (path: SimdPath) => recurrentModule(cell, HIDDEN, DIM, false, path);
    const gateWidth = (cell === 'lstm' ? 4 : 3) * HIDDEN;
    const steps = 40;
    return [
      kernelCase<RecurrentKernels>({ family: cell, label: `h·U per step [${BATCH}, ${HIDDEN}]·[${HIDDEN}, ${gateWidth}]`, module, calls: steps, call: (k, at) => k.forwardMatmul(at(0), 4 * HIDDEN, at(1), at(2), 4 * gateWidth, BATCH, 0) }),
      kernelCase<RecurrentKernels>({ family: cell, label: `x·W per step [${BATCH}, ${DIM}]·[${DIM}, ${gateWidth}]`, module, calls: steps, call: (k, at) => k.inputMatmul(at(0), 4 * TIME * DIM, at(1), at(2), 4 * gateWidth, BATCH, 1) }),
      kernelCase<RecurrentKernels>({ family: cell, label: 'd(h·U)·Uᵀ per step', module, calls: steps, call: (k, at) => k.backwardMatmul(at(0), 4 * TIME * gateWidth, at(1), at(2), 4 * HIDDEN, BATCH, 1) }),
      kernelCase<RecurrentKernels>({ family: cell, label: 'dW += xᵀ·dz per step', module, calls: steps, call: (k, at) => k.inputGradientMatmul(at(0), 4 * TIME * DIM, at(1), 4 * TIME * gateWidth, at(2), BATCH) }),
      kernelCase<RecurrentKernels>({ family: cell, label: 'dU += hᵀ·d(h·U) per step', module, calls: steps, call: (k, at) => k.recurrentGradientMatmul(at(0), 4 * TIME * HIDDEN, at(1), 4 * TIME * gateWidth, at(2), BATCH) }),
      kernelCase<RecurrentKernels>({
        family: cell,
        label: `gates of ${BATCH} rows per step, forward`,
        module,
        calls: steps,
        call: (k, at) => {
          for (let row = 0; row < BATCH; row++) {
            const [rowAt, stateAt] = [at(0) + 4 * row * gateWidth, at(3) + 4 * row * HIDDEN];
            k.forwardRow(rowAt, at(1) + 4 * row * gateWidth, at(2) + 4 * row * gateWidth, stateAt, stateAt + 64 * width, stateAt + 128 * width, stateAt + 192 * width, stateAt + 256 * width, stateAt + 320 * width, rowAt);
          }
        },
      }),
      kernelCase<RecurrentKernels>({
        family: cell,
        label: 'gates backward',
        module,
        calls: steps,
        call: (k, at) => {
          for (let row = 0; row < BATCH; row++) {
            const [rowAt, stateAt] = [at(0) + 4 * row * gateWidth, at(3) + 4 * row * HIDDEN];
            k.backwardRow(rowAt, stateAt, stateAt + 64 * width, stateAt + 128 * width, at(1) + 4 * row * gateWidth, at(2) + 4 * row * gateWidth, stateAt + 192 * width, stateAt + 256 * width, stateAt + 320 * width);
          }
        },
      }),
    ];
  }),
];

/** Fills a fresh memory of four regions with small values (no overflow nor subnormals over the calls). */
function filledMemory() {
  const memory = createMemory(4 * REGION);
  const floats = new Float32Array(memory.buffer);
  let state = 7;
  for (let i = 0; i < floats.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    floats[i] = (state / 2 ** 32 - 0.5) * 0.2;
  }
  return memory;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timeCall(kernels: unknown, spec: KernelCase<unknown>): number {
  const start = performance.now();
  for (let i = 0; i < spec.calls; i++) spec.call(kernels, region);
  return (performance.now() - start) / spec.calls;
}

export function benchSimdPaths(rounds = 15): void {
  if (!relaxedSimdValidates()) {
    console.log('\nkernels, plain vs fused SIMD: skipped (this engine does not run relaxed SIMD)');
    return;
  }
  console.log(`\nkernels, plain vs fused multiply-add (median per call over ${rounds} interleaved rounds; ratio = plain ÷ fused):`);
  const memory = filledMemory();
  const instances = CASES.map((spec) => PATHS.map((path) => instantiate<unknown>(spec.module(path), memory)));
  const times = CASES.map(() => PATHS.map((): number[] => []));
  // One warm-up round lets V8 tier the modules up before anything counts.
  for (let round = -1; round < rounds; round++) {
    CASES.forEach((spec, index) => {
      // Alternate which path goes first, so that neither always runs on a warmer cache.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const path of order) {
        const ms = timeCall(instances[index][path], spec);
        if (round >= 0) times[index][path].push(ms);
      }
    });
  }
  const families = new Map<string, number[]>();
  CASES.forEach((spec, index) => {
    const [plain, fused] = times[index].map(median);
    const ratio = plain / fused;
    families.set(spec.family, [...(families.get(spec.family) ?? []), ...times[index][0].map((ms, round) => ms / times[index][1][round])]);
    console.log(`  ${`${spec.family}: ${spec.label}`.padEnd(62)} plain ${plain.toFixed(3).padStart(7)} ms  fused ${fused.toFixed(3).padStart(7)} ms  ${ratio.toFixed(2)}×`);
  });
  const perFamily = [...families].map(([family, ratios]) => `${family} ${median(ratios).toFixed(2)}×`);
  console.log(`  per family (median of the rounds' ratios): ${perFamily.join(', ')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) benchSimdPaths(Number(process.argv[2] ?? 15));
