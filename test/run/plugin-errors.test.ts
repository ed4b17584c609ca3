/**
 * What goes wrong in a plugin's code is reported as the plugin's: an exception names its file,
 * line and method; a NaN loss names the first component whose output went non-finite; weight on
 * padding names the pooler. Contract checks run on a tiny batch before any data loads: the data
 * of the failing cases below does not even exist.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/config/load.js';
import { PluginError } from '../../src/errors.js';
import { silentProgress } from '../../src/progress.js';
import { runExperiment } from '../../src/run/experiment.js';

const SCHEMA = "{ type: 'object', additionalProperties: false, properties: {} }";

const pooler = (name: string, attend: string): string => `export default {
  kind: 'pooler', name: '${name}', description: 'A pooler for an error case.', schema: ${SCHEMA},
  create({}, { tf, nn }) {
    return {
      variables: [],
      attend: (h, mask) => {
${attend}
      },
    };
  },
};
`;

const MISSING_DATA = 'data: { type: csv, train: ./no-such-train.csv, test: ./no-such-test.csv }';
const SYNTHETIC = 'data: { type: synthetic, size: 120, test_size: 40 }';

const cases = [
  {
    title: 'an exception in attend() names the plugin file, the line of the throw and the method',
    file: 'boom.ts',
    source: pooler('boom', "        throw new Error('boom');"),
    model: '{ pooler: { type: boom } }',
    data: MISSING_DATA,
    code: 'plugin-runtime',
    at: /boom\.ts:7:\d+: pooler "boom" attend\(\) threw: boom/,
  },
  {
    title: 'weight on padded positions is an error naming the pooler',
    file: 'uniform.ts',
    source: pooler('uniform', '        return tf.div(tf.onesLike(mask), mask.shape[1]);'),
    model: '{ pooler: { type: uniform } }',
    data: MISSING_DATA,
    code: 'plugin-padding-weight',
    at: /uniform\.ts: pooler "uniform" attend\(\) put weight 0\.33\d* on a padded position/,
  },
  {
    title: 'a NaN loss is traced to the first component whose output was not finite',
    file: 'divide.ts',
    source: `export default {
  kind: 'encoder', name: 'divide', description: 'Divides by zero once trained a step.', schema: ${SCHEMA},
  create({}, { tf, inputDim }) {
    return { variables: [], outputDim: inputDim, apply: (x) => tf.div(x, tf.zerosLike(x)) };
  },
};
`,
    model: '{ encoder: { type: divide } }',
    data: SYNTHETIC,
    code: 'plugin-non-finite',
    at: /divide\.ts: the loss became NaN at epoch 1, batch 1; training stopped: the first non-finite output came from encoder "divide" apply\(\)/,
  },
];

for (const { title, file, source, model, data, code, at } of cases) {
  test.serial(title, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'attnlab-plugin-errors-'));
    writeFileSync(join(dir, file), source);
    writeFileSync(
      join(dir, 'run.yaml'),
      `plugins: [./${file}]\n${data}\nembeddings: { type: random, dim: 8 }\nmodel: ${model}\ntrain: { epochs: 1, batch_size: 32, max_length: 16 }\ntracking: { uri: ${join(dir, 'runs')} }\n`,
    );
    const error = await t.throwsAsync(runExperiment(join(dir, 'run.yaml'), parseOverrides([]), { progress: silentProgress, log: () => {} }), { instanceOf: PluginError });
    t.is(error?.code, code, error?.message);
    t.true(error?.file.startsWith(join(dir, file)), error?.file);
    t.regex(error?.message ?? '', at);
  });
}
