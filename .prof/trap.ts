import { recurrentModule } from '../src/nn/wasm/recurrent-kernels.js';
import { createMemory, instantiate } from '../src/nn/wasm/runtime.js';
const memory = createMemory(1 << 20);
const ex = instantiate<Record<string, (...a: number[]) => void>>(recurrentModule('gru', 8, 8), memory);
console.log(memory.buffer.byteLength);
for (const next of [0, memory.buffer.byteLength - 4, memory.buffer.byteLength, memory.buffer.byteLength + 1000, 2 ** 31]) {
  try { ex.inferenceRow(0, 4096, 8192, 12288, 16384, 16484, 17000, 18000, 19000, next); console.log(next, 'ok'); } catch (e) { console.log(next, String(e)); }
}
