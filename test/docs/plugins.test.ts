import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { PLUGIN_KINDS } from '../../src/plugin-api.js';
import { runExperiment } from '../../src/run/experiment.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const guide = readFileSync(join(repo, 'docs/plugins.md'), 'utf8');
const silent = { start: () => ({ tick() {}, status() {}, done() {} }) };

/** The guide's code block that starts with `// <path>`, as a user would copy it. */
function codeBlock(path: string): string {
  const block = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]).find((code) => code.startsWith(`// ${path}\n`));
  if (!block) throw new Error(`docs/plugins.md has no ts block starting with // ${path}`);
  return block;
}

test('the guide’s pooler, copied into a folder of the user’s and named in a config, trains for an epoch', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'attnlab-guide-'));
  mkdirSync(join(home, 'my-plugins'));
  writeFileSync(join(home, 'my-plugins/scaled-dot.ts'), codeBlock('my-plugins/scaled-dot.ts'));
  const config = {
    name: 'guide-scaled-dot',
    plugins: ['./scaled-dot.ts'],
    data: { type: 'synthetic', size: 240, test_size: 80 },
    embeddings: { type: 'random', dim: 16 },
    model: { type: 'classifier', pooler: { type: 'scaled-dot', temperature: 2 } },
    train: { epochs: 1, batch_size: 32, max_length: 32 },
    tracking: { uri: join(home, 'runs') },
  };
  writeFileSync(join(home, 'my-plugins/scaled-dot.yaml'), stringify(config));
  const result = await runExperiment(join(home, 'my-plugins/scaled-dot.yaml'), [], { progress: silent, log: () => {} });
  t.is(result.epochs.length, 1);
  t.deepEqual(result.config.model.pooler, { type: 'scaled-dot', temperature: 2 });
  t.true(Number.isFinite(result.epochs[0].trainLoss));
  t.true(result.testAccuracy >= 0 && result.testAccuracy <= 1);
  t.true(existsSync(join(home, 'runs')));
});

test('the guide covers every plugin kind', (t) => {
  for (const kind of PLUGIN_KINDS) t.regex(guide, new RegExp(`^\\| \`${kind}\``, 'm'), kind);
});

test('the guide explains every error a plugin can get', (t) => {
  const sources = readdirSync(join(repo, 'src/plugins')).map((file) => readFileSync(join(repo, 'src/plugins', file), 'utf8'));
  const codes = new Set(sources.flatMap((source) => [...source.matchAll(/new PluginError\(\s*'([a-z-]+)'/g)].map((match) => match[1])));
  t.true(codes.size >= 5);
  for (const code of codes) t.true(guide.includes(`| \`${code}\` |`), `docs/plugins.md does not explain "${code}"`);
});
