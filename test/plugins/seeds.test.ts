/** Seeds by name: a component's seed depends on the run's seed and its place, not on what else is built. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlugin, createContainer } from '../../src/plugins/container.js';

/** A model plugin building the `kinds` children in order; each child reports the seed it got. */
async function childSeeds(kinds: readonly string[], seed = 5): Promise<Record<string, number>> {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-seeds-'));
  const layer = (kind: string) => {
    const file = join(folder, `seed-${kind}.ts`);
    writeFileSync(file, `export default { kind: '${kind}', name: 'seed-${kind}', description: 'd', schema: { type: 'object', properties: {} }, create: (_p: unknown, ctx: { seed: number }) => ({ variables: [], outputDim: 1, seed: ctx.seed, attend: () => undefined, apply: () => undefined }) };`);
    return file;
  };
  const model = join(folder, 'seed-model.ts');
  writeFileSync(
    model,
    `export default { kind: 'model', name: 'seed-model', description: 'd', schema: { type: 'object', properties: {} },
       async create(_p: unknown, ctx: any) {
         const seeds: Record<string, number> = {};
         for (const [index, kind] of ${JSON.stringify(kinds)}.entries()) seeds[kind + index] = (await ctx.build(kind, { type: 'seed-' + kind }, { inputDim: 1, numClasses: 2 })).seed;
         return { variables: [], seeds };
       } };`,
  );
  const container = await createContainer([model, ...new Set(kinds)].map((kind) => (kind === model ? model : layer(kind))));
  const built = (await buildPlugin(container, 'model', { type: 'seed-model' }, { seed } as never)) as unknown as { seeds: Record<string, number> };
  return built.seeds;
}

test('building another component first leaves a component\'s seed as it was', async (t) => {
  const alone = await childSeeds(['pooler']);
  const afterAnEncoder = await childSeeds(['encoder', 'pooler']);
  t.is(afterAnEncoder.pooler1, alone.pooler0);
});

test('two components of one kind, and two run seeds, get different seeds', async (t) => {
  const seeds = await childSeeds(['encoder', 'encoder']);
  t.not(seeds.encoder0, seeds.encoder1);
  t.not((await childSeeds(['pooler'], 6)).pooler0, (await childSeeds(['pooler'], 5)).pooler0);
});
