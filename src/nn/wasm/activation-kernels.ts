/**
 * Element-wise activations and their derivatives in a WebAssembly SIMD kernel. On wasm, tfjs runs
 * `tanh` over a [64·230, 100] tensor in ~50 ms and its gradient as three more ops of the same
 * size; four lanes at a time over one linear memory take a few ms, copies in and out included.
 *
 * The derivatives are written in terms of the activation's output y, which the forward pass
 * keeps anyway: tanh' = 1 − y², σ' = y(1 − y), relu' = [y > 0], elu' = y > 0 ? 1 : y + 1.
 */
import { encodeModule, f32x4, forRange, FunctionWriter, get, i32, set, v128, type Code, type Local, type SimdPath } from './emitter.js';
import { compiledKernel, createMemory, instantiate, type WasmMemory, type WasmModule } from './runtime.js';
import { exp, sigmoid, tanh, v, type ExpScratch } from './simd-math.js';

/** Activations with a kernel; `linear` needs none. */
export const KERNEL_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'elu'] as const;
export type KernelActivation = (typeof KERNEL_ACTIVATIONS)[number];

/** One function per activation and direction; addresses in bytes, `count` a multiple of 4. */
export type ActivationExports = Record<`${KernelActivation}Forward`, (values: number, count: number) => void> &
  Record<`${KernelActivation}Backward`, (gradients: number, outputs: number, count: number) => void>;

/** The operation's body on one vector: `target` from `x` (forward) or from dy and y (backward). */
type VectorForward = (target: Local, x: Local, scratch: ExpScratch) => Code;
type VectorBackward = (target: Local, dy: Code, y: Code) => Code;

const FORWARD: Record<KernelActivation, VectorForward> = {
  tanh: (target, x, scratch) => tanh(target, get(x), scratch),
  sigmoid: (target, x, scratch) => sigmoid(target, get(x), scratch),
  relu: (target, x) => set(target, f32x4.pmax(get(x), v(0))),
  // x above 0, e^x − 1 elsewhere.
  elu: (target, x, scratch) => [...exp(target, get(x), scratch), ...set(target, v128.bitselect(get(x), f32x4.sub(get(target), v(1)), f32x4.gt(get(x), v(0))))],
};

const BACKWARD: Record<KernelActivation, VectorBackward> = {
  tanh: (target, dy, y) => set(target, f32x4.mul(dy, f32x4.sub(v(1), f32x4.mul(y, y)))),
  sigmoid: (target, dy, y) => set(target, f32x4.mul(dy, f32x4.mul(y, f32x4.sub(v(1), y)))),
  relu: (target, dy, y) => set(target, v128.and(dy, f32x4.gt(y, v(0)))),
  elu: (target, dy, y) => set(target, v128.bitselect(dy, f32x4.madd(dy, y, dy), f32x4.gt(y, v(0)))),
};

/** values[i] = act(values[i]), in place. */
function forwardFunction(activation: KernelActivation) {
  const writer = new FunctionWriter(`${activation}Forward`, ['i32', 'i32']);
  const [values, count] = writer.params;
  const offset = writer.local('i32');
  const [input, result] = [writer.local('v128'), writer.local('v128')];
  const scratch: ExpScratch = { x: writer.local('v128'), k: writer.local('v128') };
  const address = i32.add(get(values), get(offset));
  const body = forRange(offset, i32.const(0), i32.mul(get(count), i32.const(4)), 16, [
    ...set(input, f32x4.load(address)),
    ...FORWARD[activation](result, input, scratch),
    ...f32x4.store(address, get(result)),
  ]);
  return { writer, body };
}

/** gradients[i] = gradients[i] · act'(outputs[i]), in place. */
function backwardFunction(activation: KernelActivation) {
  const writer = new FunctionWriter(`${activation}Backward`, ['i32', 'i32', 'i32']);
  const [gradients, outputs, count] = writer.params;
  const offset = writer.local('i32');
  const result = writer.local('v128');
  const gradientAddress = i32.add(get(gradients), get(offset));
  const body = forRange(offset, i32.const(0), i32.mul(get(count), i32.const(4)), 16, [
    ...BACKWARD[activation](result, f32x4.load(gradientAddress), f32x4.load(i32.add(get(outputs), get(offset)))),
    ...f32x4.store(gradientAddress, get(result)),
  ]);
  return { writer, body };
}

/** The in-place forward and backward functions of `activation`, for modules that embed them. */
export const activationFunctions = (activation: KernelActivation) => [forwardFunction(activation), backwardFunction(activation)];

export function activationModuleBytes(): Uint8Array<ArrayBuffer> {
  return encodeModule(KERNEL_ACTIVATIONS.flatMap(activationFunctions));
}

/** The compiled activation module (`path`: the process's unless given). */
export const activationModule = (path?: SimdPath): WasmModule => compiledKernel('activation', activationModuleBytes, path);

/** One instance over a memory reused by every call (calls never overlap: JS runs one at a time). */
let scratchInstance: { memory: WasmMemory; exports: ActivationExports; bytes: number } | undefined;

function instanceFor(bytes: number) {
  if (scratchInstance === undefined || scratchInstance.bytes < bytes) {
    const memory = createMemory(bytes);
    scratchInstance = { memory, exports: instantiate<ActivationExports>(activationModule(), memory), bytes: memory.buffer.byteLength };
  }
  return scratchInstance;
}

const paddedCount = (count: number): number => Math.ceil(count / 4) * 4;

/** act(x) element-wise, as a new array. */
export function activate(activation: KernelActivation, x: Float32Array): Float32Array {
  const count = paddedCount(x.length);
  const { memory, exports } = instanceFor(4 * count);
  const view = new Float32Array(memory.buffer, 0, count);
  view.set(x);
  exports[`${activation}Forward`](0, count);
  return view.slice(0, x.length);
}

/** dy ⊙ act'(x) element-wise from dy and y = act(x), as a new array. */
export function activationGradient(activation: KernelActivation, dy: Float32Array, y: Float32Array): Float32Array {
  const count = paddedCount(y.length);
  const { memory, exports } = instanceFor(8 * count);
  new Float32Array(memory.buffer, 0, count).set(dy);
  new Float32Array(memory.buffer, 4 * count, count).set(y);
  exports[`${activation}Backward`](0, 4 * count, count);
  return new Float32Array(memory.buffer, 0, y.length).slice();
}
