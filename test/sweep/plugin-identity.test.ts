import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../../src/config/types.js';
import { configHash } from '../../src/config/hash.js';
import { trialHash } from '../../src/sweep/plan.js';

test('a trial’s identity follows its user plugins’ content, not only their paths', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'attnlab-plugin-identity-'));
  const plugin = join(dir, 'p.ts');
  const config = { name: 'a', plugins: [plugin] } as unknown as ResolvedConfig;
  writeFileSync(plugin, 'export default 1;\n');
  const before = trialHash(config, 'attnlab@0');
  t.is(trialHash({ ...config, name: 'b' }, 'attnlab@0'), before, 'the name is not part of it');
  writeFileSync(plugin, 'export default 2;\n');
  t.not(trialHash(config, 'attnlab@0'), before);
  const builtinsOnly = { name: 'a', plugins: [] } as unknown as ResolvedConfig;
  t.is(trialHash(builtinsOnly, 'attnlab@0'), configHash({ plugins: [] } as unknown as ResolvedConfig, 'attnlab@0'), 'without user plugins, hashes stay as they were');
});
