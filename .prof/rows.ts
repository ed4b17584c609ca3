const variants = await Promise.all(['/work/main', '/tmp/prev'].map(async (root) => {
  const kernels = await import(`${root}/src/nn/wasm/recurrent-kernels.ts`);
  const runtime = await import(`${root}/src/nn/wasm/runtime.ts`);
  return { root, kernels, runtime };
}));
const cell = (process.argv[2] ?? 'gru') as 'gru' | 'lstm';
const N = 400_000;
for (let round = 0; round < 3; round++) {
  for (const { root, kernels, runtime } of variants) {
    const memory = runtime.createMemory(1 << 22);
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < f.length; i++) f[i] = Math.sin(i) * 2;
    const ex = runtime.instantiate(kernels.recurrentModule(cell, 64, 100), memory) as Record<string, (...a: number[]) => void>;
    const W = 4 * 64 * 4;
    for (const name of ['inferenceRow', 'forwardRow']) {
      const start = performance.now();
      for (let i = 0; i < N; i++) {
        const r = i & 15;
        ex[name](0x10000 + r * W, 0x20000 + r * W, 0x30000 + r * W, 0x40000 + r * 256, 0x50000 + r * 256, 0x60000 + r * 256, 0x70000 + r * 256, 0x80000 + r * 256, 0x90000 + r * 256);
        if ((i & 1023) === 0) f.fill(0.5, 0x40000 / 4, 0x40000 / 4 + 16 * 64);
      }
      const ns = ((performance.now() - start) * 1e6) / N;
      process.stdout.write(`${root} ${name} ${ns.toFixed(0)} ns  `);
    }
    console.log();
  }
}
