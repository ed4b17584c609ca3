import { stringList, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'schema [--plugin file ...] [--sweep]',
  help: `Prints the JSON Schema of a run config, every plugin's params included, for editors.
With yaml-language-server (VS Code's YAML extension and others), start a config with
  # yaml-language-server: $schema=../schema/attnlab.schema.json
to complete and check every key. --plugin adds your own plugin files to the schema.
--sweep prints the schema of sweep files instead (shipped as configs/attnlab-sweep.schema.json).`,
  options: { plugin: { type: 'string', multiple: true }, sweep: { type: 'boolean' } },
  async run({ values }) {
    if (values.sweep) {
      const { sweepSchema } = await import('../../sweep/sweep-file.js');
      const schema = { $schema: 'http://json-schema.org/draft-07/schema#', title: 'attnlab sweep file', ...sweepSchema };
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
      return 0;
    }
    const { resolve } = await import('node:path');
    const { createContainer, registryOf } = await import('../../plugins/container.js');
    const { composeEditorSchema } = await import('../../config/schema.js');
    const container = await createContainer(stringList(values.plugin).map((file) => resolve(file)));
    process.stdout.write(`${JSON.stringify(await composeEditorSchema(registryOf(container)), null, 2)}\n`);
    return 0;
  },
};
export default command;
