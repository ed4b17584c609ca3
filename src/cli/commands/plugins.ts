import { PLUGIN_KINDS, type PluginKind } from '../../plugin-api.js';
import { UsageError } from '../../errors.js';
import { jsonOption, stringList, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: `plugins [kind] [--plugin file ...] [--json]`,
  help: `Lists every registered plugin by kind with its parameters: type, default and description,
read from the plugins' own schemas.
Kinds: ${PLUGIN_KINDS.join(', ')}.
--plugin adds your own plugin files to the list.`,
  options: { ...jsonOption, plugin: { type: 'string', multiple: true } },
  async run({ positionals, values }) {
    const kind = positionals[0] as PluginKind | undefined;
    if (kind !== undefined && !PLUGIN_KINDS.includes(kind)) {
      throw new UsageError(`unknown plugin kind "${kind}"; known: ${PLUGIN_KINDS.join(', ')}`);
    }
    const { resolve } = await import('node:path');
    const { createContainer, registryOf } = await import('../../plugins/container.js');
    const { describePlugins, formatPluginList } = await import('../../plugins/describe.js');
    const container = await createContainer(stringList(values.plugin).map((file) => resolve(file)));
    const descriptions = await describePlugins(registryOf(container), kind);
    process.stdout.write(values.json ? `${JSON.stringify(descriptions, null, 2)}\n` : formatPluginList(descriptions));
    return 0;
  },
};
export default command;
