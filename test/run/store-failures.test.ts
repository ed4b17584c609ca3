/** A tracking store that stops taking writes: checked before training, and a failure mid-run is reported. */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfigFile } from '../../src/config/validate.js';
import { silentProgress } from '../../src/progress.js';
import { runResolved } from '../../src/run/experiment.js';
import { openTracker, type Tracker } from '../../src/tracking/tracker.js';
import { checkStoreWritable } from '../../src/tracking/writable.js';
import { TrackingError } from '../../src/tracking/validation.js';

const TINY = `data: { type: synthetic, size: 60, test_size: 10, val_fraction: 0.2 }
embeddings: { type: random, dim: 8 }
model: { type: classifier, encoder: { type: none }, pooler: { type: mean } }
train: { epochs: 3, batch_size: 16, max_length: 16, patience: 0 }
backend: cpu
`;

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
}

/** A real file-store run whose metric writes fail from `failAtStep` on, as on a disk that fills up. */
function fillingDisk(failAtStep: number): typeof openTracker {
  return async (options) => {
    const inner = await openTracker(options);
    const failing: Tracker = Object.create(inner) as Tracker;
    return Object.assign(failing, {
      runId: inner.runId,
      experimentId: inner.experimentId,
      artifactDir: inner.artifactDir,
      logMetrics: async (metrics: Readonly<Record<string, number>>, step: number) => {
        if (step >= failAtStep) throw enospc();
        return inner.logMetrics(metrics, step);
      },
      end: (status: 'FINISHED' | 'FAILED' | 'KILLED', error?: unknown) => inner.end(status, error),
    });
  };
}

test('a disk that fills up mid-run: the run is marked FAILED and the error says what was lost', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-enospc-'));
  const store = join(folder, 'runs');
  writeFileSync(join(folder, 'config.yaml'), `${TINY}tracking: { uri: ${JSON.stringify(store)} }\n`);
  const { config, container } = await resolveConfigFile(join(folder, 'config.yaml'));
  const error = await t.throwsAsync(runResolved(config, container, folder, { progress: silentProgress, log: () => {}, openTracker: fillingDisk(2) }));
  t.true(error instanceof TrackingError, String(error));
  t.regex(error.message, /ENOSPC/);
  t.regex(error.message, /Lost: the metrics of step 2/);
  t.regex(error.message, /marked FAILED/);
  const experiment = readdirSync(store).find((name) => name !== '.trash' && existsSync(join(store, name, 'meta.yaml')) && name !== '0') ?? '0';
  const runs = readdirSync(join(store, experiment)).filter((name) => existsSync(join(store, experiment, name, 'meta.yaml')));
  t.is(runs.length, 1);
  const meta = readFileSync(join(store, experiment, runs[0], 'meta.yaml'), 'utf8');
  t.regex(meta, /^status: 4$/m, meta); // FAILED
});

test('a store that is a file is refused before anything is written', (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-store-file-'));
  writeFileSync(join(folder, 'runs'), 'not a folder');
  const error = t.throws(() => checkStoreWritable({ kind: 'file', root: join(folder, 'runs', 'deeper') }));
  t.is((error as TrackingError).code, 'tracking/not-a-folder');
  t.regex(error.message, /is a file, not a folder/);
});

test('a writable store passes the check and is left untouched', (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-store-ok-'));
  checkStoreWritable({ kind: 'file', root: join(folder, 'runs') });
  t.deepEqual(readdirSync(folder), []);
});
