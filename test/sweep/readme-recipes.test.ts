/** The README's sweeps and cluster recipes, as written: every sweep it shows validates. */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSweep } from '../../src/sweep/plan.js';
import { readSweepFile } from '../../src/sweep/sweep-file.js';
import { REPO } from '../helpers/cli.js';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const CONFIGS = join(REPO, 'configs');

test('every sweep file the README shows validates as written, each of its trials resolved', async (t) => {
  const sweeps = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]).filter((block) => /^base: /m.test(block));
  t.true(sweeps.length >= 1);
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-readme-'));
  for (const [index, block] of sweeps.entries()) {
    // Its `base:` is relative to configs/, where the README says the file lives.
    const file = join(folder, `sweep-${index}.yaml`);
    writeFileSync(file, block.replace(/^base: (\S+)/m, (_, base: string) => `base: ${join(CONFIGS, base)}`));
    const plan = await planSweep(readSweepFile(file), []);
    t.true(plan.trials.length > 0);
  }
});

test('the cluster recipes run attnlab through its bin, on a sweep that validates', async (t) => {
  const cluster = README.slice(README.indexOf('### On a cluster'), README.indexOf('## Tracking'));
  t.notRegex(cluster, /npx attnlab/);
  t.regex(cluster, /--signal=B:USR1@60/);
  for (const named of new Set([...cluster.matchAll(/configs\/([\w-]+\.yaml)/g)].map((match) => match[1]))) {
    if (!/grid/.test(named)) continue;
    const plan = await planSweep(readSweepFile(join(CONFIGS, named)), []);
    t.is(plan.trials.length, 8, named);
  }
});
