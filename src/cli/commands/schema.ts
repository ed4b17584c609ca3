import { stringList, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'schema [--plugin file ...]',
  help: `Prints the JSON Schema of a run config, every plugin's params included, for editors.
With yaml-language-server (VS Code's YAML extension and others), start a config with
  # yaml-language-server: $schema=../schema/attnlab.schema.json
to complete and check every key. --plugin adds your own plugin files to the schema.`,
  options: { plugin: { type: 'string', multiple: true } },
  async run({ values }) {
    const { resolve } = await import('node:path');
    const { createContainer, registryOf } = await import('../../plugins/container.js');
    const { composeEditorSchema } = await import('../../config/schema.js');
    const container = await createContainer(stringList(values.plugin).map((file) => resolve(file)));
    process.stdout.write(`${JSON.stringify(await composeEditorSchema(registryOf(container)), null, 2)}\n`);
    return 0;
  },
};
export default command;
