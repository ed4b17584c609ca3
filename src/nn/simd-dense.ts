/**
 * The dense layer on the SIMD kernels of `wasm/dense-kernels.ts`, for widths that are multiples
 * of 4. The forward pass writes x, the product and the activation in the kernels' memory and
 * reads the output back once; the backward pass forms d(pre-activation) there, and the weight,
 * bias and input gradients read it in place. One instance per (in, out) serves every layer of
 * that shape: a buffer is trusted only while the same array is known to be in it.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import { rememberValues, valuesOf } from './values.js';
import type { KernelActivation } from './wasm/activation-kernels.js';
import { DENSE_ROW_BLOCK, denseModule, type DenseKernels } from './wasm/dense-kernels.js';
import { createMemory, instantiate, type WasmMemory } from './wasm/runtime.js';

/** Rows per weight-gradient panel: 32 rows of x and of d (~25 KiB at width 100) stay in L1/L2. */
const GRADIENT_PANEL = 32;

/** Whether {@link simdDense} takes a layer of these widths. */
export const fitsSimdDense = (inputs: number, outputs: number): boolean => inputs % 4 === 0 && outputs % 4 === 0;

/** Float offsets of one layout of the kernels' memory for `rows` rows. */
interface Layout {
  /** Never written: the zero bias of the input gradient's product. */
  readonly zeros: number;
  readonly w: number;
  readonly wt: number;
  readonly bias: number;
  readonly dw: number;
  readonly db: number;
  readonly x: number;
  readonly y: number;
  readonly d: number;
  readonly dx: number;
  readonly floats: number;
}

function layoutFor(inputs: number, outputs: number, rows: number): Layout {
  const paddedRows = Math.ceil(rows / DENSE_ROW_BLOCK) * DENSE_ROW_BLOCK;
  const sizes = { zeros: Math.max(inputs, outputs), w: inputs * outputs, wt: inputs * outputs, bias: outputs, dw: inputs * outputs, db: outputs, x: paddedRows * inputs, y: paddedRows * outputs, d: paddedRows * outputs, dx: paddedRows * inputs };
  let offset = 0;
  const layout = Object.fromEntries(Object.entries(sizes).map(([name, size]) => [name, (offset += size) - size]));
  return { ...layout, floats: offset } as unknown as Layout;
}

class DenseInstance {
  private memory: WasmMemory;
  private kernels: DenseKernels;
  /**
   * The input array last copied into the x buffer, for its row count: a call with another count
   * lays its buffers over it.
   */
  private residentX: { values: Float32Array; rows: number } | undefined;

  constructor(
    readonly inputs: number,
    readonly outputs: number,
  ) {
    this.memory = createMemory(4 * layoutFor(inputs, outputs, DENSE_ROW_BLOCK).floats);
    this.kernels = instantiate<DenseKernels>(denseModule(inputs, outputs), this.memory);
  }

  /** The layout for `rows` rows, the memory grown to hold it, and a view of the memory. */
  prepare(rows: number): { layout: Layout; memory: Float32Array; kernels: DenseKernels } {
    const layout = layoutFor(this.inputs, this.outputs, rows);
    if (this.residentX?.rows !== rows) this.residentX = undefined;
    const missing = 4 * layout.floats - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65_536));
    return { layout, memory: new Float32Array(this.memory.buffer), kernels: this.kernels };
  }

  /** Copies x in unless the same array is already there. */
  placeX(memory: Float32Array, layout: Layout, x: Float32Array, rows: number): void {
    if (this.residentX?.values === x) return;
    memory.set(x, layout.x);
    this.residentX = { values: x, rows };
  }
}

const instances = new Map<string, DenseInstance>();

function instanceFor(inputs: number, outputs: number): DenseInstance {
  const key = `${inputs}:${outputs}`;
  let instance = instances.get(key);
  if (instance === undefined) {
    instance = new DenseInstance(inputs, outputs);
    instances.set(key, instance);
  }
  return instance;
}

/**
 * act(x [..., in] · kernel [in, out] + bias [out]) → [..., out], `in` and `out` multiples of 4.
 * Variables change between steps, so the kernel's and bias's values are read fresh each call.
 */
export function simdDense<T extends tfjs.Tensor>(tf: Tf, x: T, kernel: tfjs.Tensor2D, bias: tfjs.Tensor1D | undefined, activation: KernelActivation | 'linear'): T {
  const [inputs, outputs] = kernel.shape;
  const rows = x.size / inputs;
  const outShape = [...x.shape.slice(0, -1), outputs];
  const instance = instanceFor(inputs, outputs);
  const inputTensors: Record<string, tfjs.Tensor> = bias === undefined ? { x, kernel } : { x, kernel, bias };
  return runCustomOp(tf, inputTensors, () => {
    const xValues = x instanceof tf.Variable ? (x.dataSync() as Float32Array) : valuesOf(x);
    const kernelValues = kernel.dataSync() as Float32Array;
    const { layout, memory, kernels } = instance.prepare(rows);
    memory.set(kernelValues, layout.w);
    if (bias === undefined) memory.fill(0, layout.bias, layout.bias + outputs);
    else memory.set(bias.dataSync() as Float32Array, layout.bias);
    instance.placeX(memory, layout, xValues, rows);
    kernels.forward(4 * layout.x, 4 * layout.w, 4 * layout.bias, 4 * layout.y, Math.ceil(rows / DENSE_ROW_BLOCK) * DENSE_ROW_BLOCK);
    if (activation !== 'linear') kernels[`${activation}Forward`](4 * layout.y, rows * outputs);
    const outputValues = memory.slice(layout.y, layout.y + rows * outputs);
    const gradient = (dy: tfjs.Tensor) => {
      const backward = instance.prepare(rows);
      backward.memory.set(valuesOf(dy), backward.layout.d);
      if (activation !== 'linear') {
        backward.memory.set(outputValues, backward.layout.y);
        backward.kernels[`${activation}Backward`](4 * backward.layout.d, 4 * backward.layout.y, rows * outputs);
      }
      return {
        x: () => rememberInput(tf, instance, rows, kernelValues, x.shape),
        kernel: () => weightGradient(tf, instance, rows, xValues),
        bias: () => biasGradient(tf, instance, rows),
      };
    };
    return { value: rememberValues(tf.tensor(outputValues, outShape) as T, outputValues), gradient };
  });
}

/** dW = Σ xᵀ·d, panel by panel, from the d(pre-activation) the backward pass left in memory. */
function weightGradient(tf: Tf, instance: DenseInstance, rows: number, x: Float32Array): tfjs.Tensor2D {
  const { inputs, outputs } = instance;
  const { layout, memory, kernels } = instance.prepare(rows);
  instance.placeX(memory, layout, x, rows);
  memory.fill(0, layout.dw, layout.dw + inputs * outputs);
  for (let row = 0; row < rows; row += GRADIENT_PANEL) {
    kernels.weightGradient(4 * (layout.x + row * inputs), 4 * (layout.d + row * outputs), 4 * layout.dw, Math.min(GRADIENT_PANEL, rows - row));
  }
  return tf.tensor2d(memory.slice(layout.dw, layout.dw + inputs * outputs), [inputs, outputs]);
}

function biasGradient(tf: Tf, instance: DenseInstance, rows: number): tfjs.Tensor1D {
  const { layout, memory, kernels } = instance.prepare(rows);
  memory.fill(0, layout.db, layout.db + instance.outputs);
  kernels.biasGradient(4 * layout.d, 4 * layout.db, rows);
  return tf.tensor1d(memory.slice(layout.db, layout.db + instance.outputs));
}

/** dx = d·Wᵀ, its values kept with the tensor for the typed-array ops upstream. */
function rememberInput(tf: Tf, instance: DenseInstance, rows: number, kernel: Float32Array, shape: readonly number[]): tfjs.Tensor {
  const { inputs, outputs } = instance;
  const { layout, memory, kernels } = instance.prepare(rows);
  for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) memory[layout.wt + o * inputs + i] = kernel[i * outputs + o];
  kernels.inputGradient(4 * layout.d, 4 * layout.wt, 4 * layout.zeros, 4 * layout.dx, Math.ceil(rows / DENSE_ROW_BLOCK) * DENSE_ROW_BLOCK);
  const values = memory.slice(layout.dx, layout.dx + rows * inputs);
  return rememberValues(tf.tensor(values, [...shape]), values);
}
