/**
 * The shipped schemas as an editor sees them: yaml-language-server's own language service (the
 * engine of VS Code's YAML extension), in process, reading `$schema` modelines from disk.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configSnippet } from '../../src/scaffold/slots.js';
import { REPO, runCliInProcess } from '../helpers/cli.js';

interface Diagnostic {
  readonly message: string;
  readonly range: { readonly start: { readonly line: number } };
}
interface CompletionList {
  readonly items: readonly { readonly label: string }[];
}
interface LanguageService {
  configure(settings: Record<string, unknown>): void;
  doValidation(document: unknown, isKubernetes: boolean): Promise<Diagnostic[]>;
  doComplete(document: unknown, position: { line: number; character: number }, isKubernetes: boolean): Promise<CompletionList>;
}
interface TextDocuments {
  create(uri: string, languageId: string, version: number, text: string): unknown;
}

// The package's UMD build is CommonJS; its ESM build imports without file extensions.
const require = createRequire(import.meta.url);
const { getLanguageService } = require('yaml-language-server/lib/umd/languageservice/yamlLanguageService.js') as {
  getLanguageService(params: Record<string, unknown>): LanguageService;
};
const { TextDocument } = require('vscode-languageserver-textdocument') as { TextDocument: TextDocuments };

const service = getLanguageService({
  schemaRequestService: async (uri: string) => readFileSync(fileURLToPath(uri), 'utf8'),
  workspaceContext: { resolveRelativePath: (path: string, resource: string) => new URL(path, resource).href },
});
service.configure({ validate: true, completion: true, hover: true, schemas: [] });

let version = 0;
/**
 * A document at `path` (relative to the repository) with `text`; nothing is written to disk.
 * Each gets a new version: the service caches parsed documents by URI and version.
 */
function documentAt(path: string, text: string): unknown {
  return TextDocument.create(pathToFileURL(join(REPO, path)).href, 'yaml', ++version, text);
}

async function diagnostics(path: string, text: string): Promise<string[]> {
  return (await service.doValidation(documentAt(path, text), false)).map((diagnostic) => `${diagnostic.range.start.line + 1}: ${diagnostic.message}`);
}

const RUN_SCHEMA = '# yaml-language-server: $schema=./attnlab.schema.json\n';
const SWEEP_SCHEMA = '# yaml-language-server: $schema=./attnlab-sweep.schema.json\n';

test('every shipped config and sweep file shows no diagnostic', async (t) => {
  const files = readdirSync(join(REPO, 'configs')).filter((name) => name.endsWith('.yaml'));
  t.true(files.length >= 10);
  for (const file of files) t.deepEqual(await diagnostics(`configs/${file}`, readFileSync(join(REPO, 'configs', file), 'utf8')), [], file);
});

test('a child config that only overrides model.encoder.state_size shows no diagnostic', async (t) => {
  t.deepEqual(await diagnostics('configs/wider.yaml', `${RUN_SCHEMA}extends: ./q4-lstm-attention.yaml\nmodel:\n  encoder:\n    state_size: 128\n`), []);
});

test("the docs' example config and the snippet of attnlab new plugin show no diagnostic", async (t) => {
  const docs = readFileSync(join(REPO, 'docs', 'plugins.md'), 'utf8');
  const example = /```yaml\n(# my-plugins\/scaled-dot\.yaml\n[\s\S]*?)```/.exec(docs)?.[1];
  t.truthy(example, 'the example is in docs/plugins.md');
  const modeline = '# yaml-language-server: $schema=../configs/attnlab.schema.json\n';
  t.deepEqual(await diagnostics('my-plugins/scaled-dot.yaml', modeline + (example ?? '')), []);
  t.deepEqual(await diagnostics('configs/mine.yaml', `${RUN_SCHEMA}${configSnippet('pooler', 'scaled-dot', './scaled-dot.ts')}`), []);
});

test('real mistakes still show: a typo in a plugin name suggests the closest, an unknown key is named', async (t) => {
  t.deepEqual(await diagnostics('configs/typo.yaml', `${RUN_SCHEMA}model:\n  pooler:\n    type: fixd-query\n`), ['4: unknown pooler; did you mean "fixed-query"?']);
  t.deepEqual(await diagnostics('configs/key.yaml', `${RUN_SCHEMA}model:\n  encoder: { type: lstm, hiden: 3 }\n`), ['3: Property hiden is not allowed.']);
  const wrongType = await diagnostics('configs/value.yaml', `${RUN_SCHEMA}train:\n  epochs: many\n`);
  t.is(wrongType.length, 1);
  t.regex(wrongType[0], /^3: Incorrect type\. Expected "integer"/);
});

test('sweep files: dotted keys under set, grid and zip are checked against the config schema', async (t) => {
  const sweep = `${SWEEP_SCHEMA}base: ./q2-attention.yaml\nset:\n  train.epochs: 3\ngrid:\n  model.encoder.state_size: [32, 64]\n  regularizers.entropy.weight: [0, 0.1]\nzip:\n  - { train.lr: [0.001, 0.01], seed: [1, 2] }\nmetric: test_macro_f1\n`;
  t.deepEqual(await diagnostics('configs/sweep.yaml', sweep), []);
  const wrong = await diagnostics('configs/sweep.yaml', `${SWEEP_SCHEMA}base: ./q2-attention.yaml\nset:\n  train.epoch: 3\ngrid:\n  train.epochs: [0, 2]\n`);
  t.deepEqual(wrong.map((line) => line.split(':')[0]), ['4', '6']);
  t.regex(wrong[0], /Property train\.epoch is not allowed/);
  t.regex(wrong[1], /Value is below the minimum of 1/);
});

test('sweep files: grid keys and metric complete', async (t) => {
  const text = `${SWEEP_SCHEMA}base: ./q2-attention.yaml\ngrid:\n  \nmetric: \n`;
  const keys = await service.doComplete(documentAt('configs/sweep.yaml', text), { line: 3, character: 2 }, false);
  const labels = keys.items.map((item) => item.label);
  t.true(labels.includes('model.encoder.state_size') && labels.includes('train.lr'), labels.slice(0, 20).join(', '));
  const metrics = await service.doComplete(documentAt('configs/sweep.yaml', text), { line: 4, character: 8 }, false);
  t.true(metrics.items.some((item) => item.label === 'test_macro_f1'));
});

test.serial('schema --help names the shipped schema at a path that exists', async (t) => {
  const { stdout } = await runCliInProcess(['schema', '--help']);
  const paths = [...stdout.matchAll(/(configs\/attnlab(?:-sweep)?\.schema\.json)/g)].map((match) => match[1]);
  t.true(paths.length >= 2);
  for (const path of paths) t.notThrows(() => readFileSync(join(REPO, path)), path);
  t.false(stdout.includes('../schema/'), 'no folder that does not exist');
});
