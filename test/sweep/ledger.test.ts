import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSweepLedger, TAG_SWEEP_ROLE } from '../../src/sweep/ledger.js';

test('array tasks that each create a parent run settle on one, and the others are hidden', async (t) => {
  const options = { uri: mkdtempSync(join(tmpdir(), 'attnlab-ledger-')), experiment: 'grid', sweepName: 'entropy-grid' };
  // Both tasks look before either has created anything, as tasks started at the same moment do.
  const [first, second] = [await openSweepLedger(options), await openSweepLedger(options)];
  t.is(first.parentRunId, undefined);
  const firstParent = await first.ensureParent({});
  const secondParent = await second.ensureParent({});
  t.is(secondParent, firstParent);
  const parents = (await openSweepLedger(options)).runs.filter((run) => run.tags[TAG_SWEEP_ROLE] === 'parent');
  t.deepEqual(parents.map((run) => run.runId), [firstParent]);
});
