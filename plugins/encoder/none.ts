import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = { type: 'object', additionalProperties: false, properties: {} } as const;

export default {
  kind: 'encoder',
  name: 'none',
  description: 'No encoder: attention looks at the word embeddings themselves.',
  schema,
  outputDim: (_params, inputDim) => inputDim,
  create(_params, ctx) {
    return { outputDim: ctx.inputDim, variables: [], tokenwise: true, apply: (x) => x };
  },
} satisfies PluginDescriptor<'encoder', typeof schema>;
