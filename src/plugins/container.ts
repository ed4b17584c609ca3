/**
 * The inversify container of a run: every plugin is bound under its kind, named by its registry
 * key, so a config's `type:` selects the binding. Each caller (a run, a test) builds its own.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { deriveSeed } from '../data/random.js';
import { AttnlabError, PluginError } from '../errors.js';
import type { AnyPlugin, BaseContext, ContextOf, CoreProvidedContext, Created, PluginBlock, PluginKind } from '../plugin-api.js';
import { DATASET_HELPERS, VECTOR_HELPERS } from './context-helpers.js';
import { checkDeclaredSize, declaredSize, withOutputShapeCheck } from './output-shapes.js';
import { withPluginCalls } from './plugin-calls.js';
import { TOKENIZER_CONTEXT } from '../data/tokenize.js';
import { PluginRegistry } from './registry.js';

/** Service identifier of each plugin kind's bindings. */
export const pluginId = (kind: PluginKind): symbol => Symbol.for(`attnlab.plugin.${kind}`);
export const REGISTRY = Symbol.for('attnlab.registry');

export async function createContainer(userPluginFiles: readonly string[] = [], builtinDirectory?: string): Promise<Container> {
  const registry = await PluginRegistry.create(userPluginFiles, builtinDirectory);
  const container = new Container();
  container.bind(REGISTRY).toConstantValue(registry);
  for (const entry of registry.list()) {
    container.bind(pluginId(entry.kind)).toDynamicValue(() => entry.load()).inSingletonScope().whenNamed(entry.name);
  }
  return container;
}

export function registryOf(container: Container): PluginRegistry {
  return container.get<PluginRegistry>(REGISTRY);
}

export function pluginOf(container: Container, kind: PluginKind, name: string): Promise<AnyPlugin> {
  return container.getAsync<AnyPlugin>(pluginId(kind), { name });
}

/** What the core puts around each built component, nested ones included (the analyses' probe). */
export type CreatedWrapper = <K extends PluginKind>(kind: K, created: Created[K]) => Created[K];

/**
 * Builds a validated plugin block with its factory. `base` is what every factory receives
 * (tfjs, ops, seed); `build` on the context builds nested blocks the same way, with derived seeds
 * and the same `wrap`.
 */
export async function buildPlugin<K extends PluginKind>(
  container: Container,
  kind: K,
  block: PluginBlock,
  context: Omit<ContextOf[K], 'build' | CoreProvidedContext>,
  wrap?: CreatedWrapper,
): Promise<Created[K]> {
  const descriptor = await pluginOf(container, kind, block.type);
  const plugin = descriptor as unknown as {
    create(params: unknown, ctx: ContextOf[K]): Created[K] | Promise<Created[K]>;
  };
  const { type: _type, ...params } = block;
  const file = registryOf(container).get(kind, block.type)?.file ?? block.type;
  const declared = declaredSize(descriptor, params, (context as { inputDim?: number }).inputDim, file);
  const base = context as unknown as Partial<BaseContext>;
  const built = new Map<PluginKind, number>();
  const full = {
    ...(kind === 'dataset' ? { data: DATASET_HELPERS } : {}),
    ...(kind === 'tokenizer' ? TOKENIZER_CONTEXT : {}),
    ...(kind === 'embeddings' ? { vectors: VECTOR_HELPERS } : {}),
    ...context,
    build: (childKind: PluginKind, childBlock: PluginBlock, extra: object) => {
      // A second child of the same kind is `<kind>#2`: adding one leaves the others' seeds as they were.
      const count = (built.get(childKind) ?? 0) + 1;
      built.set(childKind, count);
      const seed = deriveSeed(base.seed ?? 0, count === 1 ? childKind : `${childKind}#${count}`);
      return buildPlugin(container, childKind, childBlock, { ...base, seed, ...extra } as never, wrap);
    },
  } as unknown as ContextOf[K];
  let created: Created[K];
  try {
    created = await plugin.create(params, full);
  } catch (error) {
    if (error instanceof AttnlabError) throw error;
    throw new PluginError('plugin-create', file, `${kind} "${block.type}" failed to build: ${(error as Error).message}`, error);
  }
  checkDeclaredSize(kind, created, declared, file);
  const checked = withPluginCalls(kind, block.type, withOutputShapeCheck(kind, created, context as Omit<ContextOf[K], 'build'>, file), file);
  return wrap ? wrap(kind, checked) : checked;
}
