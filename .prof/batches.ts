import { resolveConfigFile } from '../src/config/validate.js';
import { silentProgress } from '../src/progress.js';
import { loadData } from '../src/run/experiment.js';
import { scoringBatches } from '../src/data/batches.js';
const base = await resolveConfigFile('configs/q2-attention.yaml', []);
const data = await loadData(base.config, base.container, 'configs', { progress: silentProgress, log: () => {} });
for (let round = 0; round < 6; round++) {
  const t0 = performance.now();
  let n = 0;
  for (const b of scoringBatches(data.test, { maxRows: 256, maxTokens: 32768, maxLength: 400 })) n += b.ids[0];
  console.log(((performance.now() - t0)).toFixed(1), 'ms');
}
