import type { PluginDescriptor } from '../../src/plugin-api.js';
import { createRecurrentEncoder, recurrentEncoderSchema as schema } from '../../src/model/recurrent-encoder.js';

export default {
  kind: 'encoder',
  name: 'lstm',
  description: 'LSTM encoder (one or more layers, optionally bidirectional) under the attention (Q4).',
  schema,
  create: (params, ctx) => createRecurrentEncoder('lstm', params, ctx),
} satisfies PluginDescriptor<'encoder', typeof schema>;
