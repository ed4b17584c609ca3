/**
 * The corpus of broken configs: each must fail validation with exit code 2 and a problem naming
 * the right file, line and key path.
 */
import test from 'ava';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO, runCli, runCliInProcess } from '../helpers/cli.js';

const BROKEN = fileURLToPath(new URL('./broken/', import.meta.url));

interface Case {
  readonly file: string;
  readonly args?: readonly string[];
  /** File the problem is reported in (default: the case's file), or the override text. */
  readonly reportedIn?: string;
  readonly line?: number;
  readonly path?: string;
  /** Text the message must contain. */
  readonly says: string;
}

const cases: readonly Case[] = [
  { file: 'yaml-syntax.yaml', line: 3, says: 'All mapping items must start at the same column' },
  { file: 'yaml-unbalanced.yaml', line: 3, says: 'Unexpected flow-seq-end token' },
  { file: 'unknown-key.yaml', line: 3, path: 'train.learning_rate', says: 'unknown key "learning_rate"' },
  { file: 'wrong-type.yaml', line: 2, path: 'train.epochs', says: 'expected integer, found the string "three"' },
  { file: 'unknown-plugin.yaml', line: 3, path: 'model.pooler.type', says: 'did you mean "fixed-query"?' },
  { file: 'extends-missing.yaml', line: 1, path: 'extends', says: 'cannot read extended file' },
  { file: 'cycle-a.yaml', reportedIn: 'cycle-b.yaml', line: 1, path: 'extends', says: 'extends cycle' },
  { file: 'out-of-range.yaml', line: 2, path: 'train.batch_size', says: 'must be >= 1' },
  { file: 'unknown-plugin-param.yaml', line: 4, path: 'model.encoder.hiden', says: 'did you mean "hidden"?' },
  { file: 'plugin-param-type.yaml', line: 4, path: 'model.encoder.layers', says: 'expected integer' },
  { file: 'bad-enum.yaml', line: 1, path: 'backend', says: 'allowed: auto, tensorflow, wasm, cpu' },
  { file: 'regularizer-without-type.yaml', line: 2, path: 'regularizers.entropy.type', says: 'missing "type"' },
  { file: 'bad-in-parent.yaml', reportedIn: 'bad-parent.yaml', line: 4, path: 'train.patience', says: 'must be >= 0' },
  { file: 'not-a-mapping.yaml', line: 1, says: 'must be a YAML mapping' },
  { file: 'duplicate-key.yaml', line: 3, says: 'duplicate key "epochs": first at line 2, again at line 3' },
  { file: 'several-problems.yaml', line: 4, path: 'model.head.dropout', says: 'must be <= 0.95' },
  { file: 'several-problems.yaml', line: 7, path: 'model.pooler.activation', says: 'did you mean "sigmoid"?' },
  { file: 'extends-type.yaml', line: 1, path: 'extends', says: 'found 42' },
  { file: 'zero-lr.yaml', line: 2, path: 'train.lr', says: 'must be > 0' },
  { file: 'plugin-file-missing.yaml', line: 2, path: 'plugins.0', says: 'plugin file not found' },
  { file: 'unknown-key.yaml', args: ['--set', 'train.epochs.max=3'], reportedIn: '--set train.epochs.max=3', path: 'train.epochs.max', says: 'which is the number 3' },
  { file: 'out-of-range.yaml', args: ['--set', 'train.epoch=3'], reportedIn: '--set train.epoch=3', path: 'train.epoch', says: 'did you mean "epochs"?' },
  { file: 'out-of-range.yaml', args: ['--set', 'train.epochs'], reportedIn: '--set train.epochs', says: 'write it as key.path=value' },
];

for (const testCase of cases) {
  const title = `${testCase.file}${testCase.args ? ` ${testCase.args.join(' ')}` : ''}: ${testCase.path ?? testCase.says}`;
  test.serial(title, async (t) => {
    const file = join(BROKEN, testCase.file);
    const result = await runCliInProcess(['validate', file, ...(testCase.args ?? [])]);
    t.is(result.code, 2, result.stdout + result.stderr);
    const output = result.stdout + result.stderr;
    const reportedIn = testCase.reportedIn?.startsWith('--set') ? testCase.reportedIn : relative(REPO, join(BROKEN, testCase.reportedIn ?? testCase.file));
    const where = testCase.line === undefined ? reportedIn : `${reportedIn}:${testCase.line}:`;
    const problem = output.split('\n').find((line) => line.includes(where) && line.includes(testCase.says) && (!testCase.path || line.includes(`${testCase.path}:`)));
    t.truthy(problem, `expected a problem at ${where} ${testCase.path ?? ''} saying ${testCase.says}, got:\n${output}`);
  });
}

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
