import { PLUGIN_KINDS } from '../../plugin-api.js';
import { UsageError } from '../../errors.js';
import type { CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'new plugin <kind> <name> [--dir <folder>]',
  help: `Writes <name>.ts, a commented, typed plugin of that kind that works as generated, and
<name>.test.ts, its tests (ava), into --dir (default: the current folder), then prints the config
lines that use it. Existing files are never overwritten.
Kinds: ${PLUGIN_KINDS.join(', ')}.
Names are kebab-case, e.g. scaled-dot.

  attnlab new plugin pooler scaled-dot --dir configs/`,
  options: { dir: { type: 'string' } },
  async run({ positionals, values }) {
    const [what, kind, name, ...extra] = positionals;
    if (what !== 'plugin' || kind === undefined || name === undefined || extra.length > 0) {
      throw new UsageError('expected: attnlab new plugin <kind> <name> [--dir <folder>], e.g. attnlab new plugin pooler scaled-dot');
    }
    const { relative } = await import('node:path');
    const { writePluginSkeleton } = await import('../../scaffold/new-plugin.js');
    const result = await writePluginSkeleton({ kind, name, dir: typeof values.dir === 'string' ? values.dir : '.' });
    const shown = (file: string): string => relative(process.cwd(), file) || file;
    const snippet = result.snippet.trimEnd().replaceAll('\n', '\n  ');
    process.stdout.write(
      `wrote ${shown(result.pluginFile)}\nwrote ${shown(result.testFile)}\n\n` +
        `Use it from a run config in the same folder:\n  ${snippet}\n\n` +
        `Test it:       attnlab test ${shown(result.testFile)}\n` +
        `Type-check it: attnlab check ${shown(result.pluginFile)} ${shown(result.testFile)}\n`,
    );
    return 0;
  },
};
export default command;
