import { UsageError } from '../../errors.js';
import type { CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'completion <bash|zsh|fish> [--plugin file ...]',
  help: `Prints a completion script for your shell: commands, their options, config files, plugin
kinds and every key --set accepts (the config schema's, plugins' params included).

  bash   source <(attnlab completion bash)        (or save it in ~/.local/share/bash-completion/completions/attnlab)
  zsh    source <(attnlab completion zsh)         (in ~/.zshrc)
  fish   attnlab completion fish | source         (or save it in ~/.config/fish/completions/attnlab.fish)

  --plugin file   add your own plugins' params to the --set keys`,
  options: { plugin: { type: 'string', multiple: true } },
  async run({ positionals, values }) {
    const { SHELLS, completionScript, schemaKeys } = await import('../completion.js');
    const shell = positionals[0] as (typeof SHELLS)[number] | undefined;
    if (positionals.length !== 1 || shell === undefined || !SHELLS.includes(shell)) {
      throw new UsageError(`completion takes one shell: ${SHELLS.join(', ')}; e.g. source <(attnlab completion bash)`);
    }
    const { resolve } = await import('node:path');
    const { stringList } = await import('../command.js');
    const { createContainer, registryOf } = await import('../../plugins/container.js');
    const { composeEditorSchema } = await import('../../config/schema.js');
    const { COMMANDS, loadCommand } = await import('../main.js');
    const container = await createContainer(stringList(values.plugin).map((file) => resolve(file)));
    const schema = await composeEditorSchema(registryOf(container));
    const options = Object.fromEntries(await Promise.all(Object.keys(COMMANDS).map(async (name) => [name, (await loadCommand(name)).options] as const)));
    process.stdout.write(completionScript(shell, { commands: COMMANDS, options, setKeys: schemaKeys(schema) }));
    return 0;
  },
};
export default command;
