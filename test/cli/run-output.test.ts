import test from 'ava';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCliInProcess } from '../helpers/cli.js';
import { syntheticConfig, writeConfig } from '../helpers/experiment.js';

test.serial('the end of a run says where its report is, with the headline numbers', async (t) => {
  const file = writeConfig(syntheticConfig('  pooler: { type: fixed-query }'));
  const store = join(dirname(file), 'runs');
  const result = await runCliInProcess(['run', file, '--set', `tracking.uri=${store}`, '--set', 'data.size=300', '--set', 'data.test_size=60', '--set', 'train.epochs=1']);
  t.is(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  t.regex(lines[0], /^experiment: test accuracy \d+\.\d\d%, macro-F1 \d\.\d{4} · run [0-9a-f]{32}$/);
  const report = /^report: (.+)$/.exec(lines[1])?.[1] ?? '';
  t.true(report.endsWith('report.html') && existsSync(report), report);
  t.regex(result.stderr, /test accuracy \d+\.\d\d%, macro-F1 \d\.\d{4}, ROC AUC \d\.\d{4} \(best epoch 1 on validation\)/);
  t.false(/\n\n/.test(result.stderr), 'no blank lines');
});
