/** A tiny synthetic run trained in this process, recorded in a file store of its own. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/config/load.js';
import { silentProgress } from '../../src/progress.js';
import { runExperiment, type RunResult } from '../../src/run/experiment.js';
import { syntheticConfig, writeConfig } from './experiment.js';

/** Trains a two-epoch run on 400 synthetic reviews into `store` (a new temporary one by default). */
export async function trainTinyRun(overrides: readonly string[] = [], store = mkdtempSync(join(tmpdir(), 'attnlab-tiny-runs-'))): Promise<RunResult & { store: string }> {
  const file = writeConfig(syntheticConfig('  pooler: { type: fixed-query }'));
  const result = await runExperiment(
    file,
    parseOverrides([`tracking.uri=${store}`, 'data.size=400', 'data.test_size=120', 'train.epochs=2', ...overrides]),
    { progress: silentProgress, log: () => {} },
  );
  return { ...result, store };
}
