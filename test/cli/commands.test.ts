import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO, runCli, runCliInProcess } from '../helpers/cli.js';

const COMMANDS = ['run', 'sweep', 'validate', 'config', 'plugins', 'schema', 'eval', 'explain', 'runs', 'sync', 'new'];

test.serial('attnlab --help lists every command, each with its own --help', async (t) => {
  const main = await runCli(['--help']);
  t.is(main.code, 0);
  for (const command of COMMANDS) {
    t.regex(main.stdout, new RegExp(`^  ${command} `, 'm'));
    // In process: the installed CLI's contract is the spawn above; each command's help is logic.
    const help = await runCliInProcess([command, '--help']);
    t.is(help.code, 0, `${command} --help: ${help.stderr}`);
    t.regex(help.stdout, new RegExp(`^Usage: attnlab ${command}`));
  }
});

test('an unknown command or option is a usage error', async (t) => {
  const unknown = await runCli(['trian']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command "trian"/);
  const option = await runCli(['validate', '--colour', 'configs/q1-mean.yaml']);
  t.is(option.code, 2);
  t.regex(option.stderr, /unknown option --colour; known: --set, --json, --help/);
});

test.serial('every shipped config validates', async (t) => {
  const configs = readdirSync(join(REPO, 'configs')).filter((file) => file.endsWith('.yaml')).map((file) => join('configs', file));
  const result = await runCliInProcess(['validate', ...configs]);
  t.is(result.code, 0, result.stdout);
  t.is(result.stdout.split('\n').filter((line) => line.startsWith('ok ')).length, configs.length);
});

test.serial('config prints the merged result with overrides and defaults', async (t) => {
  const result = await runCliInProcess(['config', 'configs/q4-gru-attention.yaml', '--set', 'train.epochs=2']);
  t.is(result.code, 0, result.stderr);
  const config = parse(result.stdout) as { name: string; train: { epochs: number; batch_size: number; max_length: number }; model: { encoder: Record<string, unknown> }; data: { type: string } };
  t.is(config.name, 'q4-gru-attention');
  t.is(config.train.epochs, 2);
  t.is(config.train.batch_size, 64);
  t.is(config.train.max_length, 400);
  t.deepEqual(config.model.encoder, { type: 'gru', state_size: 64, layers: 1, bidirectional: false, dropout: 0 });
  t.is(config.data.type, 'imdb');
  const json = await runCliInProcess(['config', 'configs/q4-gru-attention.yaml', '--set', 'train.epochs=2', '--json']);
  t.deepEqual(JSON.parse(json.stdout), config);
});

test.serial('plugins lists each built-in plugin with its params', async (t) => {
  const result = await runCliInProcess(['plugins', '--json']);
  t.is(result.code, 0, result.stderr);
  const plugins = JSON.parse(result.stdout) as { kind: string; name: string; params: { name: string; default?: unknown }[] }[];
  const builtins = readdirSync(join(REPO, 'plugins')).flatMap((kind) =>
    readdirSync(join(REPO, 'plugins', kind))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => `${kind}/${file.slice(0, -3)}`),
  );
  t.deepEqual(plugins.map((plugin) => `${plugin.kind}/${plugin.name}`).sort(), builtins.sort());
  const lstm = plugins.find((plugin) => plugin.name === 'lstm');
  t.deepEqual(lstm?.params.map((param) => [param.name, param.default]), [['layers', 1], ['state_size', 64], ['bidirectional', false], ['dropout', 0]]);
  const text = await runCliInProcess(['plugins', 'encoder']);
  t.regex(text.stdout, /^encoder:\n {2}gru — /);
  t.regex(text.stdout, /^ {4}state_size: integer \(≥ 1, ≤ 4096\) = 64$/m);
});

test.serial('the shipped schema is the one `attnlab schema` prints, and the shipped configs use it', async (t) => {
  const result = await runCliInProcess(['schema']);
  t.is(result.code, 0, result.stderr);
  t.is(readFileSync(join(REPO, 'configs', 'attnlab.schema.json'), 'utf8'), result.stdout, 'run: npx attnlab schema > configs/attnlab.schema.json');
  const schema = JSON.parse(result.stdout) as { definitions: Record<string, { properties: { type: { anyOf: { enum: string[] }[] } } }> };
  t.true(schema.definitions.pooler.properties.type.anyOf[0].enum.includes('fixed-query'));
  const sweepSchema = await runCliInProcess(['schema', '--sweep']);
  t.is(readFileSync(join(REPO, 'configs', 'attnlab-sweep.schema.json'), 'utf8'), sweepSchema.stdout, 'run: npx attnlab schema --sweep > configs/attnlab-sweep.schema.json');
  for (const file of readdirSync(join(REPO, 'configs')).filter((name) => name.endsWith('.yaml'))) {
    const text = readFileSync(join(REPO, 'configs', file), 'utf8');
    const expected = /^base:/m.test(text) ? 'attnlab-sweep' : 'attnlab';
    t.regex(text, new RegExp(`^# yaml-language-server: \\$schema=\\./${expected}\\.schema\\.json$`, 'm'), file);
  }
});
