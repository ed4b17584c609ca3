import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = { type: 'object', additionalProperties: false, properties: {} } as const;

export default {
  kind: 'value',
  name: 'identity',
  description: 'No value transform: t = Σ p_i h_i.',
  schema,
  outputDim: (_params, inputDim) => inputDim,
  create(_params, ctx) {
    return { outputDim: ctx.inputDim, variables: [], apply: (h) => h };
  },
} satisfies PluginDescriptor<'value', typeof schema>;
