/**
 * `validate` refuses what MLflow would refuse once the run has started: param keys (its character
 * rule, 250 characters at most) and a tracking URI attnlab cannot write, with the line to fix.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfigFile } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';
import { trackingProblems } from '../../src/tracking/config-checks.js';

const base = 'data: { type: synthetic, size: 40, test_size: 10 }\nembeddings: { type: random, dim: 4 }\n';

async function problemsOf(yaml: string): Promise<{ code: string; path?: string; line?: number; message: string }[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'attnlab-config-')), 'run.yaml');
  writeFileSync(file, yaml);
  try {
    await resolveConfigFile(file);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((problem) => ({ code: problem.code, path: problem.path, line: problem.location?.line, message: problem.message }));
  }
}

test('a config whose param key MLflow would refuse fails validate, at its line', async (t) => {
  const long = 'r'.repeat(240);
  const problems = await problemsOf(`${base}regularizers:\n  ${long}: { type: l2, weight: 0.1 }\n  "bad@name": { type: l2, weight: 0.1 }\n`);
  t.deepEqual(
    problems.map(({ code, path, line }) => ({ code, path, line })),
    [
      { code: 'tracking/key-too-long', path: `regularizers.${long}.include`, line: 4 },
      { code: 'tracking/key-too-long', path: `regularizers.${long}.type`, line: 4 },
      { code: 'tracking/key-too-long', path: `regularizers.${long}.weight`, line: 4 },
      { code: 'tracking/bad-key', path: 'regularizers.bad@name.include', line: 5 },
      { code: 'tracking/bad-key', path: 'regularizers.bad@name.type', line: 5 },
      { code: 'tracking/bad-key', path: 'regularizers.bad@name.weight', line: 5 },
    ],
  );
  t.regex(problems[1].message, /has 258 characters; MLflow accepts at most 250/);
});

test('keys MLflow accepts pass, ":" included', async (t) => {
  t.deepEqual(await problemsOf(`${base}regularizers:\n  "l2:small": { type: l2, weight: 0.1 }\n`), []);
  t.deepEqual(trackingProblems({ a: { 'b c/d-e.f:g_h': 1 } }), []);
});

test('a database tracking URI fails validate with the way to a server', async (t) => {
  const problems = await problemsOf(`${base}tracking:\n  uri: sqlite:///mlflow.db\n`);
  t.deepEqual(
    problems.map(({ code, path, line }) => ({ code, path, line })),
    [{ code: 'tracking/database-uri', path: 'tracking.uri', line: 4 }],
  );
  t.regex(problems[0].message, /mlflow server --backend-store-uri sqlite:\/\/\/mlflow\.db/);
});
