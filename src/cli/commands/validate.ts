import { ConfigError, type ProblemDetails } from '../../errors.js';
import { jsonOption, stringList, setOption, type CommandModule } from '../command.js';
import { UsageError } from '../../errors.js';

const command: CommandModule = {
  usage: 'validate <file...> [--set key.path=value ...] [--json]',
  help: `Checks run configs (and sweep files) without training anything: YAML syntax, extends,
unknown keys, types, ranges, plugin names and every plugin's params. Prints every problem as
file:line:column: key.path: message. Exit code 0 when all are valid, 2 otherwise.

  --json    print { files: [{ file, valid, problems: [{ code, message, path, location, hint }] }] }`,
  options: { ...setOption, ...jsonOption },
  async run({ positionals, values }) {
    if (positionals.length === 0) throw new UsageError('validate needs at least one file: attnlab validate configs/*.yaml');
    const { parseOverrides } = await import('../../config/load.js');
    const { validateFile } = await import('../../config/files.js');
    const json = values.json === true;
    let overrides: ReturnType<typeof parseOverrides>;
    try {
      overrides = parseOverrides(stringList(values.set));
    } catch (error) {
      if (!json || !(error instanceof ConfigError)) throw error;
      // A --set that cannot be read: no file was checked.
      process.stdout.write(`${JSON.stringify({ files: [], problems: error.problems.map(problemFields) }, null, 2)}\n`);
      return 2;
    }
    const files: { file: string; valid: boolean; problems: ProblemDetails[] }[] = [];
    for (const file of positionals) {
      try {
        await validateFile(file, overrides);
        files.push({ file, valid: true, problems: [] });
        if (!json) process.stdout.write(`ok    ${file}\n`);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        files.push({ file, valid: false, problems: error.problems.map(problemFields) });
        if (json) continue;
        process.stdout.write(`FAIL  ${file}\n`);
        for (const problem of error.problems) process.stdout.write(`  ${problem.format()}\n`);
      }
    }
    if (json) process.stdout.write(`${JSON.stringify({ files }, null, 2)}\n`);
    return files.some((each) => !each.valid) ? 2 : 0;
  },
};
/** A problem as plain fields, its stable `code` first (not the formatted line). */
function problemFields({ code, message, path, location, hint }: ProblemDetails): ProblemDetails {
  return { code, message, path, location, hint };
}

export default command;
