import { ConfigError } from '../../errors.js';
import { stringList, setOption, type CommandModule } from '../command.js';
import { UsageError } from '../../errors.js';

const command: CommandModule = {
  usage: 'validate <file...> [--set key.path=value ...]',
  help: `Checks run configs (and sweep files) without training anything: YAML syntax, extends,
unknown keys, types, ranges, plugin names and every plugin's params. Prints every problem as
file:line:column: key.path: message. Exit code 0 when all are valid, 2 otherwise.`,
  options: { ...setOption },
  async run({ positionals, values }) {
    if (positionals.length === 0) throw new UsageError('validate needs at least one file: attnlab validate configs/*.yaml');
    const { parseOverrides } = await import('../../config/load.js');
    const { validateFile } = await import('../../config/files.js');
    const overrides = parseOverrides(stringList(values.set));
    let failed = 0;
    for (const file of positionals) {
      try {
        await validateFile(file, overrides);
        process.stdout.write(`ok    ${file}\n`);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        failed++;
        process.stdout.write(`FAIL  ${file}\n`);
        for (const problem of error.problems) process.stdout.write(`  ${problem.format()}\n`);
      }
    }
    return failed > 0 ? 2 : 0;
  },
};
export default command;
