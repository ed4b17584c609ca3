/**
 * Kernels that tfjs's cpu backend has and its wasm backend lacks — among them the gradients of
 * stock ops a plugin may use, such as `tf.conv1d`'s `Conv2DBackpropFilter` — registered for wasm
 * by running the cpu kernel on the op's data: inputs are copied out of wasm memory, the cpu
 * kernel runs, and its outputs are written back as wasm tensors. Slower than a native kernel, but
 * every differentiable tfjs op then trains on the default backend.
 */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';

/** Registers, for `wasm`, every cpu kernel wasm has not; returns their names. Safe to call twice. */
export function registerCpuFallbackKernels(tf: Tf): string[] {
  const onWasm = new Set(tf.getKernelsForBackend('wasm').map((kernel) => kernel.kernelName));
  const missing = tf.getKernelsForBackend('cpu').filter((kernel) => !onWasm.has(kernel.kernelName));
  for (const kernel of missing) {
    tf.registerKernel({ kernelName: kernel.kernelName, backendName: 'wasm', kernelFunc: onCpuData(tf, kernel.kernelFunc) });
  }
  return missing.map((kernel) => kernel.kernelName);
}

/** `cpuKernel` wrapped to take and give wasm tensors. */
function onCpuData(tf: Tf, cpuKernel: KernelFunc): KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const wasm = backend as KernelBackend;
    const cpu = tf.findBackend('cpu');
    if (!cpu) throw new Error('the cpu backend of tfjs is not available to run a kernel wasm lacks');
    const copies: Record<string, TensorInfo> = {};
    for (const [name, input] of Object.entries(inputs)) {
      if (!input) continue;
      copies[name] = { ...input, dataId: cpu.write(wasm.readSync(input.dataId), input.shape, input.dtype) };
    }
    const output = cpuKernel({ inputs: copies, attrs, backend: cpu }) as TensorInfo | TensorInfo[];
    const outputs = (Array.isArray(output) ? output : [output]).map(
      (info): TensorInfo => ({ ...info, dataId: wasm.write(cpu.readSync(info.dataId), info.shape, info.dtype) }),
    );
    // An output may alias an input (Identity, Reshape): free each cpu buffer once, after all are read.
    const cpuData = new Set([...Object.values(copies), ...(Array.isArray(output) ? output : [output])].map((info) => info.dataId));
    for (const dataId of cpuData) cpu.disposeData(dataId, true);
    return (Array.isArray(output) ? outputs : outputs[0]) as ReturnType<KernelFunc>;
  };
}
