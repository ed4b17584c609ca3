/**
 * The dry pass that checks a composite plugin's chain of sizes before anything is allocated
 * (AllenNLP's `get_output_dim`, over the whole model): the plugin's own `create` runs against
 * stand-ins, so the chain is the one its code wires, and a user's model gets the check without
 * writing anything for it. `ctx.build` answers with the sizes the child block declares, checked,
 * without building it; tf, the ops and the embeddings refuse to compute.
 */
import { AttnlabError } from '../errors.js';
import { SLOT_KEYWORD, type AnyPlugin, type PluginKind } from '../plugin-api.js';
import type { DeclaredSize } from './output-shapes.js';

/** Where the dry pass cannot go on (a real tensor, a size nobody declared): the chain is checked up to there. */
class PlanEnd extends Error {}

const end = (): never => {
  throw new PlanEnd('the dry pass stops here');
};

/** Whether `plugin`'s params hold nested plugin blocks, built with `ctx.build`. */
export function hasSlots(plugin: AnyPlugin): boolean {
  const schema = plugin.schema as { readonly properties?: Readonly<Record<string, object>> };
  return Object.values(schema.properties ?? {}).some((property) => SLOT_KEYWORD in property);
}

/** Plans one child block: checks its declared sizes (throwing a located error) and returns them. */
export type PlanChild = (kind: PluginKind, block: object, extra: object) => Promise<DeclaredSize | undefined>;

/**
 * Runs `plugin.create` against stand-ins, planning each child with `planChild`. A size problem
 * (an AttnlabError) ends it; any other failure is left for the real `create` to report.
 */
export async function dryCreate(plugin: AnyPlugin, params: object, context: object, planChild: PlanChild): Promise<void> {
  const dry = {
    ...(Object.fromEntries(Object.entries(context).map(([key, value]) => [key, inert(value)])) as object),
    build: async (kind: PluginKind, block: object, extra: object) => standIn(await planChild(kind, block, extra)),
  };
  try {
    await (plugin.create as (params: object, ctx: object) => unknown)(params, dry);
  } catch (error) {
    if (error instanceof AttnlabError) throw error;
  }
}

/** A built child as far as its declaration goes: its sizes, no variables; anything else ends the pass. */
function standIn(declared: DeclaredSize | undefined): object {
  return new Proxy(
    {},
    {
      get: (_target, key) => {
        if (key === 'variables') return [];
        if (declared && typeof key === 'string' && key in declared) return (declared as Readonly<Record<string, unknown>>)[key];
        // Not a thenable (the stand-in is awaited), nor anything a symbol asks.
        if (key === 'then' || typeof key === 'symbol') return undefined;
        return end();
      },
    },
  );
}

/**
 * `value` unable to allocate or compute: its functions (and those of the objects it holds) end the
 * pass when called; data (numbers, shapes) reads as it is, and `instanceof` still works.
 */
function inert(value: unknown): unknown {
  if (typeof value === 'function') return new Proxy(value, { apply: end, construct: end });
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return value;
  // An empty target of the same prototype: the proxy's answers are bound by no frozen property's invariant.
  return new Proxy(Object.create(Object.getPrototypeOf(value) as object | null) as object, {
    get: (_target, key) => inert(Reflect.get(value, key)),
    has: (_target, key) => Reflect.has(value, key),
  });
}
