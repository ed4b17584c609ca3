import { IMDB_ENV } from '../src/data/imdb.js';
import { resolveConfigFile } from '../src/config/validate.js';
import { silentProgress } from '../src/progress.js';
import { loadData } from '../src/run/experiment.js';
import { scoringBatches } from '../src/data/batches.js';
const base = await resolveConfigFile('configs/q2-attention.yaml', []);
const data = await loadData(base.config, base.container, 'configs', { progress: silentProgress, log: () => {} });
for (const split of [data.train, data.test]) {
  let real = 0, padded = 0, blocks = 0, batches = 0;
  for (const b of scoringBatches(split, { maxRows: base.config.train.eval_batch_size, maxTokens: base.config.train.eval_batch_tokens, maxLength: 400 })) {
    batches++; padded += b.size * b.time; blocks += Math.ceil(b.size / 8) * 8 * b.time;
    for (let i = 0; i < b.size; i++) real += b.lengths[i];
  }
  console.log({ size: split.size, real, padded, blocks, batches, evalBatch: base.config.train.eval_batch_size });
}
