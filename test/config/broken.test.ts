/**
 * The corpus of broken configs, keyed by error code: each must fail validation with exit code 2
 * and a problem with that code naming the right file, line and key path (`validate --json`, run
 * in process); a few cases go through the installed CLI's contract end to end.
 */
import test from 'ava';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO, runCli, runCliInProcess } from '../helpers/cli.js';

const BROKEN = fileURLToPath(new URL('./broken/', import.meta.url));

interface Case {
  readonly file: string;
  readonly args?: readonly string[];
  /** The problem's stable error code. */
  readonly code: string;
  /** File the problem is reported in (default: the case's file), or the override text. */
  readonly reportedIn?: string;
  readonly line?: number;
  readonly path?: string;
  /** Text the message (or its hint) must contain. */
  readonly says: string;
}

const cases: readonly Case[] = [
  { file: 'yaml-syntax.yaml', code: 'yaml-syntax', line: 3, says: 'All mapping items must start at the same column' },
  { file: 'yaml-unbalanced.yaml', code: 'yaml-syntax', line: 3, says: 'Unexpected flow-seq-end token' },
  { file: 'unknown-key.yaml', code: 'unknown-key', line: 3, path: 'train.learning_rate', says: 'unknown key "learning_rate"' },
  { file: 'wrong-type.yaml', code: 'wrong-type', line: 2, path: 'train.epochs', says: 'expected integer, found the string "three"' },
  { file: 'unknown-plugin.yaml', code: 'plugin-unknown', line: 3, path: 'model.pooler.type', says: 'did you mean "fixed-query"?' },
  { file: 'extends-missing.yaml', code: 'extends-missing', line: 1, path: 'extends', says: 'cannot read extended file' },
  { file: 'cycle-a.yaml', code: 'extends-cycle', reportedIn: 'cycle-b.yaml', line: 1, path: 'extends', says: 'extends cycle' },
  { file: 'out-of-range.yaml', code: 'out-of-range', line: 2, path: 'train.batch_size', says: 'must be >= 1' },
  { file: 'unknown-plugin-param.yaml', code: 'unknown-key', line: 4, path: 'model.encoder.state_sise', says: 'did you mean "state_size"?' },
  { file: 'renamed-param.yaml', code: 'unknown-key', line: 2, path: 'model.encoder.hidden', says: 'it is now called "state_size" write state_size: in place of hidden:' },
  { file: 'renamed-param.yaml', code: 'unknown-key', line: 3, path: 'model.pooler.hidden', says: 'it is now called "hidden_units"' },
  { file: 'renamed-param.yaml', code: 'unknown-key', line: 4, path: 'model.value.hidden', says: 'it is now called "hidden_layers"' },
  { file: 'renamed-param.yaml', code: 'unknown-key', line: 5, path: 'model.head.hidden', says: 'it is now called "hidden_units"' },
  { file: 'plugin-param-type.yaml', code: 'wrong-type', line: 4, path: 'model.encoder.layers', says: 'expected integer' },
  { file: 'bad-enum.yaml', code: 'not-allowed', line: 1, path: 'backend', says: 'allowed: auto, tensorflow, wasm, cpu' },
  { file: 'regularizer-without-type.yaml', code: 'plugin-type-missing', line: 2, path: 'regularizers.entropy.type', says: 'missing "type"' },
  { file: 'bad-in-parent.yaml', code: 'out-of-range', reportedIn: 'bad-parent.yaml', line: 4, path: 'train.patience', says: 'must be >= 0' },
  { file: 'not-a-mapping.yaml', code: 'not-a-mapping', line: 1, says: 'must be a YAML mapping' },
  { file: 'duplicate-key.yaml', code: 'duplicate-key', line: 3, path: 'train.epochs', says: 'duplicate key "epochs": first at line 2, again at line 3' },
  { file: 'several-problems.yaml', code: 'out-of-range', line: 4, path: 'model.head.dropout', says: 'must be <= 0.95' },
  { file: 'several-problems.yaml', code: 'not-allowed', line: 7, path: 'model.pooler.activation', says: 'did you mean "sigmoid"?' },
  { file: 'extends-type.yaml', code: 'extends-type', line: 1, path: 'extends', says: 'found 42' },
  { file: 'zero-lr.yaml', code: 'out-of-range', line: 2, path: 'train.lr', says: 'must be > 0' },
  { file: 'plugin-file-missing.yaml', code: 'plugin-missing', line: 2, path: 'plugins.0', says: 'plugin file not found' },
  { file: 'plugin-schema-typo.yaml', code: 'plugin-schema', line: 1, path: 'plugins.0', says: 'typo-schema-plugin.ts: schema.properties.scale: unknown schema keyword "minimun" — did you mean "minimum"?' },
  { file: 'unknown-key.yaml', code: 'override-path', args: ['--set', 'train.epochs.max=3'], reportedIn: '--set train.epochs.max=3', path: 'train.epochs.max', says: 'which is the number 3' },
  { file: 'out-of-range.yaml', code: 'unknown-key', args: ['--set', 'train.epoch=3'], reportedIn: '--set train.epoch=3', path: 'train.epoch', says: 'did you mean "epochs"?' },
  { file: 'out-of-range.yaml', code: 'override-syntax', args: ['--set', 'train.epochs'], reportedIn: '--set train.epochs', says: 'write it as key.path=value' },
];

interface ReportedProblem {
  readonly code: string;
  readonly message: string;
  readonly path?: string;
  readonly location?: { readonly file: string; readonly line?: number };
  readonly hint?: string;
}

for (const testCase of cases) {
  const title = `${testCase.code}: ${testCase.file}${testCase.args ? ` ${testCase.args.join(' ')}` : ''} at ${testCase.path ?? `line ${testCase.line ?? '–'}`}`;
  test.serial(title, async (t) => {
    const file = join(BROKEN, testCase.file);
    const result = await runCliInProcess(['validate', file, ...(testCase.args ?? []), '--json']);
    t.is(result.code, 2, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as { files: { problems: ReportedProblem[] }[]; problems?: ReportedProblem[] };
    const problems = [...(report.problems ?? []), ...report.files.flatMap((each) => each.problems)];
    const reportedIn = testCase.reportedIn?.startsWith('--set') ? testCase.reportedIn : relative(REPO, join(BROKEN, testCase.reportedIn ?? testCase.file));
    const found = problems.find(
      (problem) =>
        problem.code === testCase.code &&
        problem.location?.file === reportedIn &&
        problem.location?.line === testCase.line &&
        problem.path === testCase.path &&
        `${problem.message} ${problem.hint ?? ''}`.includes(testCase.says),
    );
    t.truthy(found, `expected ${testCase.code} at ${reportedIn}:${testCase.line ?? ''} ${testCase.path ?? ''} saying ${testCase.says}, got:\n${JSON.stringify(problems, null, 2)}`);
  });
}

test.serial('the text output prints each problem as file:line:column: path: message', async (t) => {
  const result = await runCliInProcess(['validate', join(BROKEN, 'several-problems.yaml')]);
  t.is(result.code, 2);
  t.regex(result.stdout, /^FAIL {2}.*several-problems\.yaml\n {2}test\/config\/broken\/several-problems\.yaml:4:\d+: model\.head\.dropout: .*must be <= 0\.95/m);
  t.regex(result.stdout, /several-problems\.yaml:7:\d+: model\.pooler\.activation: .*did you mean "sigmoid"\?/);
});

test.serial('a plugin with an invalid schema is refused naming its file and the schema error, with no stack trace', async (t) => {
  const result = await runCliInProcess(['validate', join(BROKEN, 'plugin-schema-typo.yaml')]);
  t.is(result.code, 2);
  t.regex(result.stdout, /typo-schema-plugin\.ts: schema\.properties\.scale: unknown schema keyword "minimun" — did you mean "minimum"\?/);
  t.notRegex(result.stdout + result.stderr, /^\s+at /m);
});

test('shows paths relative to the working directory', async (t) => {
  const result = await runCli(['validate', 'test/config/broken/unknown-key.yaml']);
  t.regex(result.stdout, /^ {2}test\/config\/broken\/unknown-key\.yaml:3:3: train\.learning_rate: /m);
});

test('run with a broken config exits 2 and writes nothing', async (t) => {
  const { mkdtempSync, existsSync, copyFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-broken-'));
  copyFileSync(join(BROKEN, 'unknown-plugin.yaml'), join(folder, 'config.yaml'));
  const result = await runCli(['run', 'config.yaml'], { cwd: folder });
  t.is(result.code, 2);
  t.regex(result.stderr, /config\.yaml:3:11: model\.pooler\.type: unknown pooler "fixd-query"/);
  t.false(existsSync(join(folder, 'runs')));
  t.false(existsSync(join(folder, '.attnlab')));
});
