import { UsageError } from '../../errors.js';
import { jsonOption, setOption, stringList, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'config <config.yaml> [--set key.path=value ...] [--json]',
  help: `Prints the fully resolved config: extends merged, --set overrides applied, every default
filled in. This is exactly what \`attnlab run\` would use. YAML by default, JSON with --json.`,
  options: { ...setOption, ...jsonOption },
  async run({ positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('config takes one file: attnlab config configs/q2-attention.yaml');
    const { parseOverrides } = await import('../../config/load.js');
    const { resolveConfigFile } = await import('../../config/validate.js');
    const { stringify } = await import('yaml');
    const { config } = await resolveConfigFile(positionals[0], parseOverrides(stringList(values.set)));
    process.stdout.write(values.json ? `${JSON.stringify(config, null, 2)}\n` : stringify(config));
    return 0;
  },
};
export default command;
