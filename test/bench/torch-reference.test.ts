import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../bench/torch_reference.py', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

// The bench's ratios are only sound if the reference trains the models attnlab trains: its unpacked
// recurrent encoders must equal packed sequences, forward and gradients.
(hasTorch ? test : test.skip)('the PyTorch reference equals packed sequences for every recurrent model', (t) => {
  const run = spawnSync(PYTHON, [SCRIPT, '--check'], { encoding: 'utf8' });
  t.is(run.status, 0, run.stdout + run.stderr);
  for (const model of ['lstm', 'gru', 'lstm-bi', 'gru-bi']) t.regex(run.stdout, new RegExp(`^${model}: ok against packed sequences`, 'm'));
});
