import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainTinyRun } from '../helpers/tiny-run.js';

test.serial('each regulariser’s penalty is logged as its own metric, by its key', async (t) => {
  const result = await trainTinyRun(['regularizers={ focus: { type: entropy, weight: 0.5 } }', 'train.epochs=1']);
  const metric = (name: string): number => Number(readFileSync(join(result.artifactDir ?? '', '..', 'metrics', name), 'utf8').trim().split(' ')[1]);
  const penalty = metric('train_penalty_focus');
  t.true(Number.isFinite(penalty) && penalty > 0, String(penalty));
  t.true(penalty < metric('train_loss'), 'the penalty is a part of the loss');
});
