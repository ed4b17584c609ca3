import { UsageError } from '../../errors.js';
import type { CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'test <file.test.ts> ... [--timeout <duration>]',
  help: `Runs a plugin's tests (the <name>.test.ts that attnlab new plugin writes) with ava and tsx
from attnlab's own install, from any folder: no package.json or node_modules of yours is needed.
The test files and the plugins they load run as ES modules; \`ava\`, \`attnlab/…\` and
\`@tensorflow/tfjs\` resolve to attnlab's copies. The exit code is ava's.
--timeout  ava's per-test timeout (default 5m: a gradient check trains on a loaded machine)

  attnlab test scaled-dot.test.ts`,
  options: { timeout: { type: 'string' } },
  async run({ positionals, values }) {
    if (positionals.length === 0) throw new UsageError('expected one or more test files, e.g. attnlab test scaled-dot.test.ts');
    const { runPluginTests } = await import('../../scaffold/run-tests.js');
    return runPluginTests({ files: positionals, timeout: typeof values.timeout === 'string' ? values.timeout : undefined });
  },
};
export default command;
