import { UsageError } from '../../errors.js';
import type { CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'check <plugin.ts> ...',
  help: `Type-checks plugin files (and their tests) with attnlab's own TypeScript, strict, from any
folder: \`attnlab\`, \`attnlab/…\`, \`@tensorflow/tfjs\`, \`ava\` and \`json-schema-to-ts\` resolve
to attnlab's copies, so no tsconfig or node_modules of yours is needed. Prints tsc's
diagnostics; exits 0 when the files type-check, 2 when they do not.

  attnlab check scaled-dot.ts scaled-dot.test.ts`,
  options: {},
  async run({ positionals }) {
    if (positionals.length === 0) throw new UsageError('expected one or more plugin files, e.g. attnlab check scaled-dot.ts');
    const { typeCheckPlugins } = await import('../../scaffold/type-check.js');
    return typeCheckPlugins(positionals);
  },
};
export default command;
