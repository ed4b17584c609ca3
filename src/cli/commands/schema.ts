import { stringList, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'schema [--plugin file ...] [--config run.yaml ...] [--sweep]',
  help: `Prints the JSON Schema of a run config, every plugin's params included, for editors.
attnlab ships it as configs/attnlab.schema.json (in a project that installed attnlab:
node_modules/attnlab/configs/attnlab.schema.json). With yaml-language-server (VS Code's YAML
extension and others), start a config with the path from the config's folder, e.g.
  # yaml-language-server: $schema=../node_modules/attnlab/configs/attnlab.schema.json
to complete and check every key; the shipped configs use ./attnlab.schema.json.
--plugin adds your own plugin files to the schema:
  attnlab schema --plugin ./scaled-dot.ts > attnlab.schema.json
--config adds the plugins a run config lists under plugins: (its extends included):
  attnlab schema --config run.yaml > attnlab.schema.json
--sweep prints the schema of sweep files instead (shipped as configs/attnlab-sweep.schema.json):
the dotted keys under set:, grid: and zip: are the config's, checked as it checks them.`,
  options: { plugin: { type: 'string', multiple: true }, config: { type: 'string', multiple: true }, sweep: { type: 'boolean' } },
  async run({ values }) {
    const { resolve } = await import('node:path');
    const { createContainer, registryOf } = await import('../../plugins/container.js');
    const { composeEditorSchema } = await import('../../config/schema.js');
    const { configPlugins } = await import('../../config/load.js');
    const listed = stringList(values.config).flatMap((file) => configPlugins(file));
    const container = await createContainer([...new Set([...stringList(values.plugin).map((file) => resolve(file)), ...listed])]);
    const configSchema = await composeEditorSchema(registryOf(container));
    if (values.sweep) {
      const { sweepSchema } = await import('../../sweep/sweep-file.js');
      const { composeSweepEditorSchema } = await import('../editor-schema.js');
      process.stdout.write(`${JSON.stringify(composeSweepEditorSchema(sweepSchema, configSchema), null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`${JSON.stringify(configSchema, null, 2)}\n`);
    return 0;
  },
};
export default command;
