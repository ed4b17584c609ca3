for (const root of ['/work/main', '/tmp/prev']) {
  const k = await import(`${root}/src/nn/wasm/recurrent-kernels.ts`);
  const e = await import(`${root}/src/nn/wasm/emitter.ts`);
  console.log(root, e.generateFor('fused', () => k.recurrentModuleBytes('gru', 64, 100)).length);
}
