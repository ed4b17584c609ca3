import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttnlabError, UsageError } from '../../src/errors.js';
import { PLUGIN_KINDS } from '../../src/plugin-api.js';
import { writePluginSkeleton } from '../../src/scaffold/new-plugin.js';
import { runCli } from '../helpers/cli.js';

const folder = (): string => mkdtempSync(join(tmpdir(), 'attnlab-new-'));

test('writes the plugin and its test for every kind, importing attnlab by bare specifiers', async (t) => {
  const dir = folder();
  for (const kind of PLUGIN_KINDS) {
    const result = await writePluginSkeleton({ kind, name: `my-${kind}`, dir });
    const source = readFileSync(result.pluginFile, 'utf8');
    t.regex(source, new RegExp(`kind: '${kind}',\\n.*\\n  name: 'my-${kind}',`));
    const typeImport = /^import type \{[^}]+\} from '([^']+)';$/m.exec(source)?.[1];
    t.is(typeImport, 'attnlab/src/plugin-api.js', kind);
    t.notRegex(source, /^import (?!type).*(tensorflow|attnlab|plugin-api)/m, 'no runtime import of tfjs or attnlab');
    const testSource = readFileSync(result.testFile, 'utf8');
    t.regex(testSource, new RegExp(`^tester\\.run\\('${kind}', \\[$`, 'm'), 'a row of the PluginTester table of its kind');
    const testerImport = /^import \{ PluginTester \} from '([^']+)';$/m.exec(testSource)?.[1];
    t.is(testerImport, 'attnlab/src/scaffold/plugin-tester.js', kind);
  }
});

test('the printed config lines select the plugin where its kind goes', async (t) => {
  const dir = folder();
  const cases = { pooler: 'model: { pooler: { type: p } }', regularizer: 'regularizers: { p: { type: p } }', optimizer: 'train: { optimizer: { type: p } }' } as const;
  for (const [kind, line] of Object.entries(cases)) {
    const { snippet } = await writePluginSkeleton({ kind, name: 'p', dir: join(dir, kind) });
    t.is(snippet, `plugins: [./p.ts]\n${line}\n`);
  }
});

const refusals = [
  { request: { kind: 'poolr', name: 'x' }, error: UsageError, message: /unknown plugin kind "poolr"; known: dataset, .* — did you mean "pooler"\?/ },
  { request: { kind: 'pooler', name: 'ScaledDot' }, error: UsageError, message: /"ScaledDot" is not kebab-case .* did you mean "scaled-dot"\?/ },
  { request: { kind: 'pooler', name: 'scaled_dot' }, error: UsageError, message: /did you mean "scaled-dot"\?/ },
  { request: { kind: 'pooler', name: 'mean' }, error: UsageError, message: /pooler "mean" is a built-in plugin/ },
] as const;

for (const { request, error, message } of refusals) {
  test(`refuses ${request.kind} "${request.name}" and writes nothing`, async (t) => {
    const dir = folder();
    await t.throwsAsync(writePluginSkeleton({ ...request, dir }), { instanceOf: error, message });
    t.false(existsSync(join(dir, `${request.name}.ts`)));
  });
}

test('never overwrites: an existing file is an error with exit code 2, and both files stay as they were', async (t) => {
  const dir = folder();
  writeFileSync(join(dir, 'scaled-dot.test.ts'), 'mine');
  const error = await t.throwsAsync(writePluginSkeleton({ kind: 'pooler', name: 'scaled-dot', dir }), { instanceOf: AttnlabError, message: /scaled-dot\.test\.ts already exists/ });
  t.is(error?.exitCode, 2);
  t.false(existsSync(join(dir, 'scaled-dot.ts')));
  t.is(readFileSync(join(dir, 'scaled-dot.test.ts'), 'utf8'), 'mine');
});

test('the CLI writes into --dir, prints the files and the config lines, and exits 2 on a second try', async (t) => {
  const dir = folder();
  const first = await runCli(['new', 'plugin', 'pooler', 'scaled-dot', '--dir', dir]);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /wrote .*scaled-dot\.ts\nwrote .*scaled-dot\.test\.ts/);
  t.regex(first.stdout, /plugins: \[\.\/scaled-dot\.ts\]\n {2}model: \{ pooler: \{ type: scaled-dot \} \}/);
  const again = await runCli(['new', 'plugin', 'pooler', 'scaled-dot', '--dir', dir]);
  t.is(again.code, 2);
  t.regex(again.stderr, /already exists/);
  const usage = await runCli(['new', 'pooler', 'scaled-dot']);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /expected: attnlab new plugin <kind> <name>/);
});
