/**
 * The inversify container of a run: every plugin is bound under its kind, named by its registry
 * key, so a config's `type:` selects the binding. Each caller (a run, a test) builds its own.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { deriveSeed } from '../data/random.js';
import { displayPath } from '../config/load.js';
import { originOf } from '../config/block-origin.js';
import { AttnlabError, ConfigError, PluginError, Problem } from '../errors.js';
import type { AnyPlugin, BaseContext, ContextOf, CoreProvidedContext, Created, PluginBlock, PluginKind } from '../plugin-api.js';
import { DATASET_HELPERS, ENCODER_HELPERS, VECTOR_HELPERS } from './context-helpers.js';
import { checkDeclaredSize, checkInputSize, declaredSize, withOutputShapeCheck, type DeclaredSize, type SizeFailure } from './output-shapes.js';
import { dryCreate, hasSlots, type PlanChild } from './size-plan.js';
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
 * and the same `wrap`. A block with nested blocks first has its chain of sizes checked by a dry
 * pass ({@link dryCreate}), so that no layer is allocated when any size in it is wrong.
 */
export async function buildPlugin<K extends PluginKind>(
  container: Container,
  kind: K,
  block: PluginBlock,
  context: Omit<ContextOf[K], 'build' | CoreProvidedContext>,
  wrap?: CreatedWrapper,
): Promise<Created[K]> {
  const { descriptor, params, file } = await resolveBlock(container, kind, block);
  const plugin = descriptor as unknown as { create(params: unknown, ctx: ContextOf[K]): Created[K] | Promise<Created[K]> };
  const declared = checkedSize(descriptor, block, params, inputDimOf(context), file);
  if (hasSlots(descriptor)) await dryCreate(descriptor, params, { ...coreContext(kind), ...context }, planChild(container, context));
  const full = { ...coreContext(kind), ...context, build: childBuilder(container, context, wrap) } as unknown as ContextOf[K];
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

/** `ctx.build` of a block built with `context`: its children get seeds derived from its own, and the same `wrap`. */
function childBuilder(container: Container, context: object, wrap: CreatedWrapper | undefined): BaseContext['build'] {
  const base = context as Partial<BaseContext>;
  const built = new Map<PluginKind, number>();
  return (childKind, childBlock, extra) => {
    // A second child of the same kind is `<kind>#2`: adding one leaves the others' seeds as they were.
    const count = (built.get(childKind) ?? 0) + 1;
    built.set(childKind, count);
    const seed = deriveSeed(base.seed ?? 0, count === 1 ? childKind : `${childKind}#${count}`);
    return buildPlugin(container, childKind, childBlock as PluginBlock, { ...base, seed, ...extra } as never, wrap);
  };
}

/** How the dry pass of a block built with `context` plans a child: its sizes checked, and its own children's in turn. */
function planChild(container: Container, context: object): PlanChild {
  return async (kind, block, extra) => {
    const childContext = { ...context, ...extra };
    const { descriptor, params, file } = await resolveBlock(container, kind, block as PluginBlock);
    const declared = checkedSize(descriptor, block as PluginBlock, params, inputDimOf(childContext), file);
    if (hasSlots(descriptor)) await dryCreate(descriptor, params, { ...coreContext(kind), ...childContext }, planChild(container, childContext));
    return declared;
  };
}

/** A block's plugin, file and params. */
async function resolveBlock(container: Container, kind: PluginKind, block: PluginBlock) {
  const descriptor = await pluginOf(container, kind, block.type);
  const { type: _type, ...params } = block;
  return { descriptor, params, file: registryOf(container).get(kind, block.type)?.file ?? block.type };
}

/** The block's declared size for `inputDim`, refused (naming where the block is written) when it or its input does not fit. */
function checkedSize(descriptor: AnyPlugin, block: PluginBlock, params: object, inputDim: number | undefined, file: string): DeclaredSize | undefined {
  const fail: SizeFailure = (code, message) => {
    const origin = originOf(block);
    if (!origin) throw new PluginError(code, file, message);
    throw new ConfigError([new Problem({ code, message: `${message} (${displayPath(file)})`, path: origin.path, location: origin.location })]);
  };
  checkInputSize(descriptor, params, inputDim, fail);
  return declaredSize(descriptor, params, inputDim, fail);
}

/** What the core adds to a kind's context by itself: a dataset's readers, a tokenizer's hash, the vector and recurrent helpers. */
function coreContext(kind: PluginKind): object {
  if (kind === 'dataset') return { data: DATASET_HELPERS };
  if (kind === 'tokenizer') return TOKENIZER_CONTEXT;
  if (kind === 'embeddings') return { vectors: VECTOR_HELPERS };
  if (kind === 'encoder') return ENCODER_HELPERS;
  return {};
}

function inputDimOf(context: object): number | undefined {
  const { inputDim } = context as { readonly inputDim?: unknown };
  return typeof inputDim === 'number' ? inputDim : undefined;
}
