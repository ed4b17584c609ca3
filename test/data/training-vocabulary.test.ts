import test from 'ava';
import { randomEmbeddings } from '../../src/data/embeddings.js';
import { prepareData, UNK_ID } from '../../src/data/prepare.js';
import type { Example } from '../../src/plugin-api.js';

const example = (text: string, label = 0): Example => ({ id: text, text, label });

async function vocabularyWith(minCount: number, maxSize: number): Promise<{ asked: readonly string[]; vocabulary: readonly string[]; testIds: number[] }> {
  const corpus = {
    labels: ['a', 'b'],
    train: [example('un chat'), example('le chien', 1), example('le chat dort'), example('le dort', 1)],
    validation: [example('le poisson')],
    test: [example('chat inconnu', 1)],
  };
  const embeddings = randomEmbeddings({ dim: 4, seed: 1, words: [], trainable: true, vocabularyFromTraining: { minCount, maxSize } });
  let asked: readonly string[] = [];
  const source = { minCount, maxSize, load: (words: readonly string[]) => ((asked = words), embeddings.load(words)) };
  const prepared = await prepareData(corpus, source, { maxLength: 10 });
  checkMatrixSize(prepared.embeddings.length, prepared.vocabulary.length);
  return { asked, vocabulary: prepared.vocabulary, testIds: Array.from(prepared.test.ids) };
}

function checkMatrixSize(values: number, rows: number): void {
  if (values !== rows * 4) throw new Error(`embedding matrix of ${values} values for ${rows} rows of 4`);
}

test('random embeddings over the training vocabulary: tokens seen min_count times, most frequent first, the max_size first', async (t) => {
  // Counts: le 3, chat 2, dort 2, un 1, chien 1; first seen: un, chat, le, chien, dort.
  const all = await vocabularyWith(2, 0);
  t.deepEqual(all.asked, ['le', 'chat', 'dort']);
  t.deepEqual(all.vocabulary, ['<pad>', '<unk>', 'chat', 'le', 'dort']);
  t.deepEqual(all.testIds, [2, UNK_ID]);
  const capped = await vocabularyWith(1, 2);
  t.deepEqual(capped.asked, ['le', 'chat']);
});
