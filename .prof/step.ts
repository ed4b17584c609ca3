import { iterateBatches, type Batch } from '../src/data/batches.js';
import { deriveSeed } from '../src/data/random.js';
import { resolveConfigFile } from '../src/config/validate.js';
import { selectBackend } from '../src/nn/backend.js';
import { kernelThreads, startKernelThreads, type PhaseProfile } from '../src/nn/threads/pool.js';
import { silentProgress } from '../src/progress.js';
import { loadData } from '../src/run/experiment.js';
import { batchTimes } from '../bench/train-step.js';
import { TORCH_BENCHES } from '../bench/torch.js';

const { tf } = await selectBackend('auto');
const base = await resolveConfigFile('configs/q2-attention.yaml', []);
const data = await loadData(base.config, base.container, 'configs', { progress: silentProgress, log: () => {} });
const epoch = [...iterateBatches(data.train, { batchSize: 64, maxLength: 400, shuffle: true, seed: deriveSeed(0, 'shuffle/epoch_1'), bucketByLength: true })];
const byLength = [...epoch].sort((a, b) => a.time - b.time);
const threads = Number(process.env.THREADS ?? 2);
for (const name of process.argv.slice(2)) {
  const bench = TORCH_BENCHES.find((b) => b.reference === name)!;
  const count = bench.recurrent ? 24 : 48;
  const sample: Batch[] = Array.from({ length: count }, (_, k) => byLength[Math.floor(((k + 0.5) * byLength.length) / count)]);
  await startKernelThreads(threads);
  for (let round = 0; round < Number(process.env.ROUNDS ?? 2); round++) {
    const profile: PhaseProfile = new Map();
    const times = await batchTimes(tf, bench, sample, { vectors: data.embeddings, dim: data.dim }, () => (kernelThreads().profile = profile));
    kernelThreads().profile = undefined;
    const scale = epoch.length / sample.length / 1000;
    const phases = ['data', 'forward', 'backward', 'optimizer', 'readback'] as const;
    const total = times.reduce((t, s) => t + phases.reduce((a, p) => a + s[p], 0), 0) * scale;
    console.log(`${name} round ${round}: ${total.toFixed(1)} s/epoch  ` + phases.map((p) => `${p} ${(times.reduce((t, s) => t + s[p], 0) * scale).toFixed(1)}`).join(' '));
    if (process.env.PROFILE) for (const [phase, ms] of profile) console.log(`    ${phase}: ${(ms * scale).toFixed(2)}`);
  }
}
await startKernelThreads(undefined);
