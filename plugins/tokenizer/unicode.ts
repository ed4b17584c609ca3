import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    locale: {
      type: 'string',
      // A BCP 47 tag's shape (fr, de-CH, zh-Hant-TW); `fr_FR` with an underscore is refused here, with its line.
      pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$',
      default: 'und',
      description: 'BCP 47 language tag (fr, de, ja, zh-Hans…) whose word-break and lower-case rules apply; und: the rules shared by every language.',
    },
    lowercase: { type: 'boolean', default: true, description: 'Lower-case the text first, by the locale’s rules (Turkish dotless i, …).' },
    elisions: {
      type: 'boolean',
      default: true,
      description: 'Split an elided article or pronoun from the word after it: l’homme → l\' homme, qu’il → qu\' il (one letter, or a word ending in qu, before the apostrophe).',
    },
  },
} as const;

/** An elided word before an apostrophe: one letter (l', d', j', n', s', c'), or one ending in qu (qu', lorsqu', jusqu'). */
const ELISION = /^(?:\p{L}|\p{L}*qu)'(?=\p{L})/iu;

/**
 * Words of any script, as the platform's Unicode word segmentation (`Intl.Segmenter`, ICU) finds
 * them: spaces between words where a script has them, dictionaries for Chinese, Japanese, Thai…,
 * compounds (German `Donaudampfschiff`) whole. Only word-like segments are tokens: words and
 * numbers (`3,5`, `2024`) are kept, punctuation, symbols and emoji dropped. The typographic
 * apostrophe ’ reads as ', so `l’homme` and `l'homme` give the same tokens.
 */
export default {
  kind: 'tokenizer',
  name: 'unicode',
  description: 'Unicode word segmentation of any script (Intl.Segmenter), with a locale, lower-casing, and elisions split (l’homme → l’ homme).',
  schema,
  create(params, { hashRange }) {
    const segmenter = new Intl.Segmenter(params.locale, { granularity: 'word' });
    const locale = params.locale;
    return {
      forEachToken(text, sink) {
        const cased = params.lowercase ? text.toLocaleLowerCase(locale) : text;
        const source = cased.replaceAll('\u2019', "'");
        const emit = (start: number, end: number): void => sink(source, start, end, hashRange(source, start, end));
        for (const { segment, index, isWordLike } of segmenter.segment(source)) {
          if (!isWordLike) continue;
          // Most words have no apostrophe: the cheap test spares them the regular expression.
          const elided = params.elisions && segment.includes("'") ? ELISION.exec(segment) : null;
          if (elided) emit(index, index + elided[0].length);
          emit(index + (elided ? elided[0].length : 0), index + segment.length);
        }
      },
    };
  },
} satisfies PluginDescriptor<'tokenizer', typeof schema>;
