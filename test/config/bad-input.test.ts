/**
 * The corpus of bad input: configs, `--set`, sweep files, checkpoints, stores. Every case must be
 * refused with its exit code, a message naming the file, line or key, no stack trace, and nothing
 * written in the working folder (no `runs/`, no `.attnlab/`, no new file).
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCliInProcess } from '../helpers/cli.js';

interface BadInput {
  readonly title: string;
  /** Files of the working folder, relative path → content. */
  readonly files: Readonly<Record<string, string | Buffer>>;
  readonly args: readonly string[];
  readonly exit: number;
  /** Text on the problem's line: where it is, e.g. `config.yaml:3:` or `--set train.lr=.nan`. */
  readonly where: string;
  /** The key path, printed as `key.path:` on the same line. */
  readonly key?: string;
  readonly says: RegExp;
  readonly env?: Readonly<Record<string, string>>;
}

const cases: BadInput[] = [];
const config = (text: string | Buffer, extra: Partial<BadInput> & Pick<BadInput, 'title' | 'where' | 'says'>): void => {
  cases.push({ files: { 'config.yaml': text }, args: ['validate', 'config.yaml'], exit: 2, ...extra });
};

// --- Numbers: NaN, ±Infinity, 1e400 and out-of-range integers, in every kind of numeric field.
const NUMERIC_FIELDS: readonly { readonly key: string; readonly integer: boolean; readonly yaml: (value: string) => string; readonly line: number }[] = [
  ...['epochs', 'batch_size', 'eval_batch_size', 'max_length', 'patience'].map((name) => ({ key: `train.${name}`, integer: true, yaml: (v: string) => `train:\n  ${name}: ${v}\n`, line: 2 })),
  ...['lr', 'clip_norm'].map((name) => ({ key: `train.${name}`, integer: false, yaml: (v: string) => `train:\n  ${name}: ${v}\n`, line: 2 })),
  ...[['factor', false], ['patience', true], ['min_lr', false]].map(([name, integer]) => ({
    key: `train.lr_decay.${String(name)}`,
    integer: integer as boolean,
    yaml: (v: string) => `train:\n  lr_decay:\n    ${String(name)}: ${v}\n`,
    line: 3,
  })),
  { key: 'seed', integer: true, yaml: (v) => `seed: ${v}\n`, line: 1 },
  { key: 'regularizers.entropy.weight', integer: false, yaml: (v) => `regularizers:\n  entropy:\n    type: entropy\n    weight: ${v}\n`, line: 4 },
  { key: 'regularizers.l2.weight', integer: false, yaml: (v) => `regularizers:\n  l2:\n    type: l2\n    weight: ${v}\n`, line: 4 },
  ...['size', 'test_size', 'seed'].map((name) => ({ key: `data.${name}`, integer: true, yaml: (v: string) => `data:\n  type: synthetic\n  ${name}: ${v}\n`, line: 3 })),
  { key: 'data.val_fraction', integer: false, yaml: (v) => `data:\n  type: synthetic\n  val_fraction: ${v}\n`, line: 3 },
  { key: 'embeddings.dim', integer: true, yaml: (v) => `embeddings:\n  type: random\n  dim: ${v}\n`, line: 3 },
];
for (const field of NUMERIC_FIELDS) {
  for (const value of ['.nan', '.inf', '-.inf', '1e400', ...(field.integer ? ['1e300'] : [])]) {
    config(field.yaml(value), { title: `${field.key}: ${value}`, where: `config.yaml:${field.line}:`, key: field.key, says: /NaN|Infinity|finite|out of range|expected integer|must be/ });
  }
  cases.push({
    title: `--set ${field.key}=.nan`,
    files: { 'config.yaml': field.key.startsWith('data.') ? 'data: { type: synthetic }\n' : field.key.startsWith('embeddings.') ? 'embeddings: { type: random }\n' : field.key.startsWith('regularizers.') ? field.yaml('0') : 'seed: 1\n' },
    args: ['validate', 'config.yaml', '--set', `${field.key}=.nan`],
    exit: 2,
    where: `--set ${field.key}=.nan`,
    key: field.key,
    says: /NaN|finite|expected integer/,
  });
}

// --- YAML hazards.
const bomb = (levels: number): string => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let level = 1; level < levels; level++) {
    const previous = String.fromCharCode(96 + level);
    lines.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(9).fill(`*${previous}`).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
};
config(bomb(9), { title: 'alias bomb, 9 levels', where: 'config.yaml:2:', says: /billion laughs/ });
config(bomb(4), { title: 'alias bomb, 4 levels', where: 'config.yaml:2:', says: /billion laughs/ });
config(`train:\n  epochs: 2\n  epochs: 3\n`, { title: 'duplicate nested key', where: 'config.yaml:3:', key: 'train.epochs', says: /duplicate key "epochs": first at line 2, again at line 3/ });
config(`seed: 1\nbackend: cpu\nseed: 2\n`, { title: 'duplicate top-level key', where: 'config.yaml:3:', key: 'seed', says: /first at line 1, again at line 3/ });
config(`model:\n  pooler:\n    type: additive\n    type: mean\n`, { title: 'duplicate key in a plugin block', where: 'config.yaml:4:', key: 'model.pooler.type', says: /first at line 3, again at line 4/ });
config(`train: { lr: 0.1, lr: 0.2 }\n`, { title: 'duplicate key in a flow mapping', where: 'config.yaml:1:', key: 'train.lr', says: /duplicate key "lr"/ });
config(`seed: 1\r\ntrain:\r\n  epochs: 2\r\n  epochs: 3\r\n`, { title: 'duplicate key, CRLF', where: 'config.yaml:4:', key: 'train.epochs', says: /first at line 3, again at line 4/ });
config(`# comment\r\n\r\ntrain:\r\n  bogus: 1\r\n`, { title: 'unknown key, CRLF', where: 'config.yaml:4:3', key: 'train.bogus', says: /unknown key "bogus"/ });
config(`seed: 1\r\ntrain:\r\n  epochs: three\r\n`, { title: 'wrong type, CRLF', where: 'config.yaml:3:11', key: 'train.epochs', says: /expected integer/ });
config(`seed: 1\r\ntrain:\r\n  lr: [1,\r\n`, { title: 'syntax error, CRLF', where: 'config.yaml:', says: /YAML syntax error/ });
config(`seed: 1\r\nseed: 2\r\n`, { title: 'duplicate key at line 2, CRLF', where: 'config.yaml:2:', says: /duplicate key "seed"/ });
config(`seed: 1\ntrain: ${'['.repeat(100)}${']'.repeat(100)}\n`, { title: 'flow nesting too deep', where: 'config.yaml:2:', says: /nested too deep/ });
config(`seed: 1\nx: ${'['.repeat(100000)}\n`, { title: 'flow nesting 100,000 deep, unclosed', where: 'config.yaml:2:', says: /nested too deep/ });
config(`seed: 1\n${Array.from({ length: 80 }, (_, depth) => `${'  '.repeat(depth)}k${depth}:`).join('\n')} 1\n`, { title: 'block nesting too deep', where: 'config.yaml:', says: /nested too deep/ });
config(`seed: 1\nx:\n  ${'- '.repeat(3000)}1\n`, { title: 'compact list nesting too deep', where: 'config.yaml:3:', says: /nested too deep/ });
config(Buffer.from('seed: 1\nbackend: cpu\nname: a\u0000b\n'), { title: 'NUL byte', where: 'config.yaml:3:', says: /NUL byte/ });
config(Buffer.from([...Buffer.from('seed: 1\nname: '), 0xff, 0x0a]), { title: 'byte 0xff', where: 'config.yaml:2:', says: /0xff is not valid UTF-8/ });
config(Buffer.from([...Buffer.from('seed: 1\n\nname: caf'), 0xe9, 0x0a]), { title: 'Latin-1 é', where: 'config.yaml:3:', says: /0xe9 is not valid UTF-8/ });
config(Buffer.from([...Buffer.from('name: '), 0xc0, 0xaf, 0x0a]), { title: 'overlong UTF-8', where: 'config.yaml:1:', says: /not valid UTF-8/ });
config(Buffer.from([...Buffer.from('seed: 1\nname: '), 0xed, 0xa0, 0x80, 0x0a]), { title: 'UTF-8 surrogate', where: 'config.yaml:2:', says: /not valid UTF-8/ });
config(Buffer.from([...Buffer.from('seed: 1\nname: '), 0xe2, 0x82]), { title: 'UTF-8 cut at the end', where: 'config.yaml:2:', says: /not valid UTF-8/ });
for (const key of ['__proto__', 'constructor', 'prototype']) {
  config(`${key}:\n  polluted: true\n`, { title: `top-level ${key}`, where: 'config.yaml:1:', key, says: /is not allowed/ });
  config(`train:\n  ${key}: { x: 1 }\n`, { title: `nested ${key}`, where: 'config.yaml:2:', key: `train.${key}`, says: /is not allowed/ });
  config(`model:\n  pooler: { type: mean, ${key}: 1 }\n`, { title: `${key} in a plugin block`, where: 'config.yaml:2:', key: `model.pooler.${key}`, says: /is not allowed/ });
}
for (const [title, text] of [['empty file', ''], ['only comments', '# nothing\n# here\n'], ['only blank lines', '\n\n   \n'], ['a lone document marker', '---\n'], ['a null document', '~\n'], ['CRLF comments', '# a\r\n# b\r\n']] as const) {
  config(text, { title: `empty config: ${title}`, where: 'config.yaml', says: /the config is empty/ });
  cases.push({ title: `run of an empty config: ${title}`, files: { 'config.yaml': text }, args: ['run', 'config.yaml'], exit: 2, where: 'config.yaml', says: /the config is empty/ });
}
config(`? [a, b]\n: 1\n`, { title: 'list as key', where: 'config.yaml:1:', says: /a key must be a plain name/ });
config(`~: 1\n`, { title: 'null key', where: 'config.yaml:1:', says: /a key must be a plain name/ });
config(`extends: ./base.yaml\n`, { title: 'empty parent config', where: 'base.yaml', says: /the config is empty/, files: { 'config.yaml': 'extends: ./base.yaml\n', 'base.yaml': '# nothing\n' } });
config(`name: ../escaped\n`, { title: 'run name with ../', where: 'config.yaml:1:', key: 'name', says: /outside its folder/ });
config(`name: a/b\n`, { title: 'run name with /', where: 'config.yaml:1:', key: 'name', says: /outside its folder/ });
config(`name: ""\n`, { title: 'empty run name', where: 'config.yaml:1:', key: 'name', says: /is empty/ });
config(`name: "a\\tb"\n`, { title: 'run name with a tab', where: 'config.yaml:1:', key: 'name', says: /control characters/ });

// --- --set.
const set = (title: string, expressions: readonly string[], says: RegExp, where = `--set ${expressions[expressions.length - 1]}`, key?: string): void => {
  cases.push({ title: `--set: ${title}`, files: { 'config.yaml': 'seed: 1\n' }, args: ['validate', 'config.yaml', ...expressions.flatMap((e) => ['--set', e])], exit: 2, where, key, says });
};
set('__proto__ path', ['__proto__.polluted=1'], /"__proto__" is not allowed/);
set('constructor inside a path', ['train.constructor.prototype=1'], /is not allowed/);
set('prototype as the last key', ['train.prototype=1'], /"prototype" is not allowed/);
set('__proto__ inside the value', ['train={__proto__: {x: 1}}'], /"__proto__" is not allowed/);
const flowBomb = Array.from({ length: 7 }, (_, level) => (level === 0 ? '&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]' : `&a${level} [${Array(9).fill(`*a${level - 1}`).join(', ')}]`));
set('alias bomb value', [`x=[${flowBomb.join(', ')}]`], /billion laughs/);
set('value that is not YAML', ['train.lr=[1,'], /value is not valid YAML/, '--set train.lr=[1,', 'train.lr');
set('no key', ['=3'], /cannot read override "=3"/);
set('empty segment', ['train..epochs=3'], /cannot read override "train\.\.epochs=3"/);
set('key inside a number', ['seed.x=1'], /cannot set a key inside seed, which is the number 1/, '--set seed.x=1', 'seed.x');
set('key inside a value set before', ['train=5', 'train.epochs=3'], /cannot set a key inside train, which is the number 5/, '--set train.epochs=3', 'train.epochs');
set('key inside a list', ['plugins=[]', 'plugins.0.x=1'], /which is a list/, '--set plugins.0.x=1');
set('key inside an inherited method name', ['toString.x=1'], /unknown key "toString"/, '--set toString.x=1');
set('NaN seed', ['seed=.nan'], /NaN|finite|integer/, '--set seed=.nan', 'seed');
set('huge integer', ['train.epochs=1e300'], /out of range|must be/, '--set train.epochs=1e300', 'train.epochs');
set('unknown key', ['train.epoch=3'], /did you mean "epochs"/, '--set train.epoch=3', 'train.epoch');
set('NUL in the value', ['name=a\u0000b'], /NUL|control characters/);

// --- Sweep files.
const sweep = (title: string, text: string, where: string, says: RegExp, extra: Partial<BadInput> = {}): void => {
  cases.push({
    title: `sweep: ${title}`,
    files: { 'base.yaml': 'data: { type: synthetic, size: 100, test_size: 20 }\nembeddings: { type: random, dim: 8 }\n', 'sweep.yaml': text },
    args: ['sweep', 'sweep.yaml', '--plan'],
    exit: 2,
    where,
    says,
    ...extra,
  });
};
sweep('empty file', '', 'sweep.yaml', /the config is empty|the sweep file is empty/, { args: ['validate', 'sweep.yaml'] });
sweep('empty file with --plan', '# nothing\n', 'sweep.yaml', /the sweep file is empty/);
sweep('alias bomb', `base: base.yaml\ngrid:\n  seed: [1]\n${bomb(9)}`, 'sweep.yaml:5:', /billion laughs/);
sweep('same key in grid and zip', 'base: base.yaml\ngrid:\n  train.lr: [0.1, 0.2]\nzip:\n  - train.lr: [0.3, 0.4]\n    seed: [1, 2]\n', 'sweep.yaml:5:', /train\.lr is varied twice: in grid\.train\.lr \(line 3\)/);
sweep('same key in two zip groups', 'base: base.yaml\nzip:\n  - seed: [1, 2]\n  - seed: [3, 4]\n', 'sweep.yaml:4:', /seed is varied twice/);
sweep('repeated grid value', 'base: base.yaml\ngrid:\n  train.lr: [0.1, 0.2, 0.1]\n', 'sweep.yaml:3:', /lists 0\.1 twice/);
sweep('repeated zip value', 'base: base.yaml\nzip:\n  - train.lr: [0.1, 0.1]\n    seed: [1, 2]\n', 'sweep.yaml:3:', /lists 0\.1 twice/);
sweep('repeated seed', 'base: base.yaml\ngrid:\n  train.lr: [0.1]\nseeds: [1, 2, 1]\n', 'sweep.yaml:4:', /seeds lists 1 twice/);
sweep('seed axis and seeds', 'base: base.yaml\ngrid:\n  seed: [1, 2]\nseeds: [3, 4]\n', 'sweep.yaml:4:', /seed is varied twice.*grid\.seed/);
sweep('seed in zip and seeds', 'base: base.yaml\nzip:\n  - seed: [1, 2]\n    train.lr: [0.1, 0.2]\nseeds: [3]\n', 'sweep.yaml:5:', /seed is varied twice/);
sweep('key in set and grid', 'base: base.yaml\nset:\n  train.lr: 0.1\ngrid:\n  train.lr: [0.2, 0.3]\n', 'sweep.yaml:5:', /both fixed in set: and varied/);
sweep('name with ../', 'name: ../escaped-sweep\nbase: base.yaml\ngrid:\n  seed: [1, 2]\n', 'sweep.yaml:1:', /would point outside its folder/);
sweep('absolute name', 'name: /tmp/escaped\nbase: base.yaml\ngrid:\n  seed: [1, 2]\n', 'sweep.yaml:1:', /would point outside its folder/);
sweep('name ..', 'name: ".."\nbase: base.yaml\ngrid:\n  seed: [1, 2]\n', 'sweep.yaml:1:', /would point outside its folder/);
sweep('name with a newline', 'name: "a\\nb"\nbase: base.yaml\ngrid:\n  seed: [1, 2]\n', 'sweep.yaml:1:', /control characters/);
sweep('missing base', 'base: nowhere.yaml\ngrid:\n  seed: [1, 2]\n', 'sweep.yaml:1:', /base config nowhere\.yaml does not exist/);
sweep('bad set value', 'base: base.yaml\nset:\n  train.epochs: zero\ngrid:\n  seed: [1, 2]\n', 'sweep.yaml:3:', /expected integer/);
sweep('NaN in set', 'base: base.yaml\nset:\n  train.lr: .nan\ngrid:\n  seed: [1, 2]\n', 'sweep.yaml:3:', /NaN|finite/);
sweep('bad grid value', 'base: base.yaml\ngrid:\n  train.batch_size: [32, -1]\n', 'sweep.yaml:3:', /must be >= 1/);
sweep('base with a problem', 'base: bad.yaml\ngrid:\n  seed: [1, 2]\n', 'bad.yaml:1:', /unknown key "bogus"/, {
  files: { 'bad.yaml': 'bogus: 1\n', 'sweep.yaml': 'base: bad.yaml\ngrid:\n  seed: [1, 2]\n' },
});
sweep('duplicate key', 'base: base.yaml\ngrid:\n  seed: [1]\ngrid:\n  seed: [2]\n', 'sweep.yaml:4:', /duplicate key "grid"/);
sweep('__proto__ key', 'base: base.yaml\n__proto__: {}\ngrid:\n  seed: [1]\n', 'sweep.yaml:2:', /is not allowed/);
sweep('--count without --plan', 'base: base.yaml\ngrid:\n  seed: [1, 2]\n', '--count goes with --plan', /--count goes with --plan/, { args: ['sweep', 'sweep.yaml', '--count'] });
sweep('NUL byte', 'base: base.yaml\ngrid:\n  seed: [1, 2]\n\u0000\n', 'sweep.yaml:4:', /NUL byte/);

// --- Checkpoints of a finished run, damaged in every file.
const RUN_CONFIG = 'name: tiny\ndata: { type: synthetic, size: 100, test_size: 20 }\nembeddings: { type: random, dim: 2 }\nbackend: cpu\n';
const manifest = (changes: Record<string, unknown> = {}): string =>
  JSON.stringify({ format: 'attnlab-checkpoint/1', labels: ['neg', 'pos'], embeddingDim: 2, vocabularySize: 3, variables: [{ name: 'w', shape: [2, 2], offset: 0 }], ...changes });
const floats = (values: readonly number[]): Buffer => Buffer.from(new Float32Array(values).buffer);
const checkpoint = (title: string, files: Record<string, string | Buffer>, says: RegExp, damagedFile: string): void => {
  const run = 'runs-copy/run1';
  const all: Record<string, string | Buffer> = {
    [`${run}/artifacts/config.yaml`]: RUN_CONFIG,
    [`${run}/artifacts/checkpoint/manifest.json`]: manifest(),
    [`${run}/artifacts/checkpoint/weights.bin`]: floats([1, 2, 3, 4]),
    [`${run}/artifacts/checkpoint/vocabulary.txt`]: '<pad>\n<unk>\ngood\n',
    [`${run}/artifacts/checkpoint/embeddings.bin`]: floats([0, 0, 0.1, 0.2, 0.3, 0.4]),
  };
  for (const [name, content] of Object.entries(files)) all[`${run}/artifacts/checkpoint/${name}`] = content;
  for (const command of ['eval', 'explain']) {
    cases.push({
      title: `${command}: ${title}`,
      files: all,
      args: [command, run, ...(command === 'explain' ? ['--text', 'good'] : [])],
      exit: 1,
      where: `${run}/artifacts/checkpoint/${damagedFile}`,
      says,
    });
  }
};
checkpoint('manifest not JSON', { 'manifest.json': '{"format": "attnlab-checkpoint/1", "lab' }, /damaged: it is not JSON/, 'manifest.json');
checkpoint('manifest garbage bytes', { 'manifest.json': Buffer.from([0x7b, 0xff, 0x00, 0x13]) }, /damaged: it is not JSON/, 'manifest.json');
checkpoint('manifest of another format', { 'manifest.json': manifest({ format: 'other/9' }) }, /unknown checkpoint format "other\/9"/, 'manifest.json');
checkpoint('manifest with one label', { 'manifest.json': manifest({ labels: ['pos'] }) }, /at least two class names/, 'manifest.json');
checkpoint('empty vocabulary', { 'manifest.json': manifest({ vocabularySize: 0 }) }, /the vocabulary is empty/, 'manifest.json');
checkpoint('manifest variables garbage', { 'manifest.json': manifest({ variables: 'w' }) }, /"variables" must list/, 'manifest.json');
checkpoint('weights truncated', { 'weights.bin': floats([1, 2, 3]) }, /expected 16 bytes \(4 float32 values\), found 12/, 'weights.bin');
checkpoint('weights with a stray byte', { 'weights.bin': Buffer.concat([floats([1, 2, 3, 4]), Buffer.from([7])]) }, /expected 16 bytes .*found 17/, 'weights.bin');
checkpoint('weights empty', { 'weights.bin': Buffer.alloc(0) }, /expected 16 bytes .*found 0/, 'weights.bin');
checkpoint('NaN weights', { 'weights.bin': floats([1, Number.NaN, 3, Number.NaN]) }, /2 values are NaN or infinite \(the first at float 1\)/, 'weights.bin');
checkpoint('embeddings truncated', { 'embeddings.bin': floats([0, 0, 0.1]) }, /expected 24 bytes \(6 float32 values\), found 12/, 'embeddings.bin');
checkpoint('infinite embeddings', { 'embeddings.bin': floats([0, 0, Number.POSITIVE_INFINITY, 0.2, 0.3, 0.4]) }, /1 value is NaN or infinite/, 'embeddings.bin');
checkpoint('vocabulary short', { 'vocabulary.txt': '<pad>' }, /expected 3 words \(one a line\), found 1/, 'vocabulary.txt');

// --- Stores and run references.
cases.push({ title: 'eval of an empty run id', files: {}, args: ['eval', ''], exit: 1, where: 'error', says: /the run reference is empty/ });
cases.push({ title: 'explain of a blank run id', files: {}, args: ['explain', '  ', '--text', 'x'], exit: 1, where: 'error', says: /the run reference is empty/ });
cases.push({ title: 'explain --file of a missing file', files: {}, args: ['explain', 'run1', '--file', 'nope.txt'], exit: 2, where: '--file nope.txt', says: /cannot read it/ });
cases.push({ title: 'explain --html into a missing folder', files: {}, args: ['explain', 'run1', '--html', 'out/missing/page.html'], exit: 2, where: '--html out/missing/page.html', says: /does not exist/ });
const meta = (text: string | Buffer): Record<string, string | Buffer> => ({
  'store/0/meta.yaml': "artifact_location: file:///tmp/x\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n",
  'store/0/0123456789abcdef0123456789abcdef/meta.yaml': text,
});
for (const [title, text] of [['garbage bytes', Buffer.from([0x5b, 0x7b, 0x3a, 0x0a, 0x09, 0x2d, 0x22])], ['a plain string', 'just words\n'], ['a list', '- 1\n- 2\n']] as const) {
  cases.push({ title: `runs with a meta.yaml of ${title}`, files: meta(text), args: ['runs'], exit: 1, where: 'store/0/0123456789abcdef0123456789abcdef/meta.yaml', says: /is damaged/, env: { MLFLOW_TRACKING_URI: 'store' } });
}
for (const [title, uri] of [['a file', 'store-file'], ['under a file', 'store-file/runs']] as const) {
  cases.push({
    title: `run into a store that is ${title}`,
    files: { 'config.yaml': RUN_CONFIG, 'store-file': 'not a folder\n' },
    args: ['run', 'config.yaml'],
    exit: 1,
    where: 'store-file',
    says: /is a file, not a folder/,
    env: { MLFLOW_TRACKING_URI: uri },
  });
}
cases.push({
  title: 'run into a store set by tracking.uri that is a file',
  files: { 'config.yaml': `${RUN_CONFIG}tracking: { uri: ./store-file }\n`, 'store-file': 'x\n' },
  args: ['run', 'config.yaml'],
  exit: 1,
  where: 'store-file',
  says: /is a file, not a folder/,
});
cases.push({
  title: 'run whose vectors file is missing',
  files: { 'config.yaml': 'data: { type: synthetic, size: 100, test_size: 20 }\nembeddings: { type: text-file, path: vectors.txt }\nbackend: cpu\n' },
  args: ['run', 'config.yaml'],
  exit: 1,
  where: 'vectors.txt',
  says: /does not exist/,
});
cases.push({
  title: 'run whose vectors file is damaged',
  files: { 'config.yaml': 'data: { type: synthetic, size: 100, test_size: 20 }\nembeddings: { type: text-file, path: vectors.txt }\nbackend: cpu\n', 'vectors.txt': 'the 0.1 0.2\ngood 0.3 zz\n' },
  args: ['run', 'config.yaml'],
  exit: 1,
  where: 'vectors.txt:2:',
  says: /is not a number/,
});
cases.push({
  title: 'run with no validation split',
  files: { 'config.yaml': 'data: { type: synthetic, size: 100, test_size: 20, val_fraction: 0 }\nembeddings: { type: random, dim: 4 }\nbackend: cpu\n' },
  args: ['run', 'config.yaml'],
  exit: 1,
  where: 'validation split',
  says: /has no reviews/,
});

/** Every file under `folder`, relative. */
function listing(folder: string, prefix = ''): string[] {
  return readdirSync(join(folder, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? [`${path}/`, ...listing(folder, path)] : [path];
  });
}

test('the corpus holds at least 150 bad inputs', (t) => {
  t.true(cases.length >= 150, `${cases.length} cases`);
  t.is(new Set(cases.map((testCase) => testCase.title)).size, cases.length, 'titles are unique');
});

for (const testCase of cases) {
  test.serial(testCase.title, async (t) => {
    const folder = mkdtempSync(join(tmpdir(), 'attnlab-bad-'));
    const work = join(folder, 'work');
    mkdirSync(work);
    for (const [name, content] of Object.entries(testCase.files)) {
      mkdirSync(dirname(join(work, name)), { recursive: true });
      writeFileSync(join(work, name), content);
    }
    const before = listing(work);
    const result = await runCliInProcess(testCase.args, {
      cwd: work,
      env: { MLFLOW_TRACKING_URI: '', MLFLOW_EXPERIMENT_NAME: '', XDG_CACHE_HOME: join(folder, 'cache'), ...testCase.env },
    });
    const output = result.stdout + result.stderr;
    t.is(result.code, testCase.exit, output);
    t.false(output.includes('internal error'), output);
    t.false(output.includes('    at '), output);
    const line = output.split('\n').find((text) => text.includes(testCase.where) && testCase.says.test(text) && (!testCase.key || text.includes(`${testCase.key}:`)));
    t.truthy(line, `expected a line with ${testCase.where}${testCase.key ? ` ${testCase.key}:` : ''} saying ${testCase.says}, got:\n${output}`);
    t.deepEqual(listing(work), before, 'nothing written in the working folder');
  });
}

// Plugins that end or stall the process while imported need a process of their own.
test('a plugin calling process.exit(0) at import is an error naming its file', async (t) => {
  const { runCli } = await import('../helpers/cli.js');
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-bad-plugin-'));
  writeFileSync(join(folder, 'exits.mjs'), 'process.exit(0);\nexport default {};\n');
  writeFileSync(join(folder, 'config.yaml'), 'plugins: [./exits.mjs]\n');
  const result = await runCli(['validate', 'config.yaml'], { cwd: folder });
  t.is(result.code, 2, result.stdout + result.stderr);
  t.regex(result.stdout, /config\.yaml:1:\d+: plugins\.0: .*exits\.mjs: cannot load the plugin: the plugin called process\.exit\(0\) while being imported/);
  t.false((result.stdout + result.stderr).includes('    at '));
});

test('a plugin whose top-level await never settles times out naming its file', async (t) => {
  const { runCli } = await import('../helpers/cli.js');
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-bad-plugin-'));
  writeFileSync(join(folder, 'stalls.mjs'), 'await new Promise(() => {});\nexport default {};\n');
  writeFileSync(join(folder, 'config.yaml'), 'plugins: [./stalls.mjs]\n');
  const result = await runCli(['validate', 'config.yaml'], { cwd: folder, env: { ATTNLAB_PLUGIN_IMPORT_TIMEOUT_MS: '1500' } });
  t.is(result.code, 2, result.stdout + result.stderr);
  t.regex(result.stdout, /plugins\.0: .*stalls\.mjs: cannot load the plugin: importing the plugin did not finish within 1500 ms/);
});
