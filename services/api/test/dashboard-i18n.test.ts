import { describe, expect, it } from 'vitest';
import { LANGS, messages, pickLang, placeholders, t } from '../dashboard/i18n.js';

/**
 * The dashboard's translations: every language has every key, nothing is blank, and a message's placeholders are the
 * same in every language (a `{lead}` lost in translation would show a toast without the lead).
 */

const keysOf = (lang: string) => Object.keys(messages[lang as keyof typeof messages]);

describe('the dashboard messages', () => {
  it('cover exactly the languages offered', () => {
    expect(Object.keys(messages).sort()).toEqual([...LANGS].sort());
  });

  it('have the same keys in every language, naming any missing ones', () => {
    const all = new Set(LANGS.flatMap(keysOf));
    const missing = LANGS.flatMap((lang) => [...all].filter((key) => !keysOf(lang).includes(key)).map((key) => `${lang}: ${key}`));
    expect(missing).toEqual([]);
  });

  it('leave no message empty', () => {
    const empty = LANGS.flatMap((lang) => Object.entries(messages[lang]).filter(([, text]) => typeof text !== 'string' || text.trim() === '').map(([key]) => `${lang}: ${key}`));
    expect(empty).toEqual([]);
  });

  it('translate one English label one way (a heading and a column both called "Heat" read the same in Chinese)', () => {
    // The e2e test finds a shown label's key by its English text; two keys sharing a text must agree.
    const byText = new Map<string, string[]>();
    for (const [key, text] of Object.entries(messages.en)) byText.set(text, [...(byText.get(text) ?? []), key]);
    const differ = [...byText.values()]
      .filter((keys) => keys.length > 1)
      .flatMap((keys) => LANGS.filter((lang) => new Set(keys.map((k) => messages[lang][k])).size > 1).map((lang) => `${lang}: ${keys.join(', ')}`));
    expect(differ).toEqual([]);
  });

  it('use the same placeholders in every language', () => {
    const differ = keysOf('en').flatMap((key) => {
      const want = [...new Set(placeholders(messages.en[key] ?? ''))].sort();
      return LANGS.filter((lang) => {
        const have = [...new Set(placeholders(messages[lang][key] ?? ''))].sort();
        return have.join(',') !== want.join(',');
      }).map((lang) => `${lang}: ${key}`);
    });
    expect(differ).toEqual([]);
  });
});

describe('t()', () => {
  it('fills placeholders and leaves one without a value as written', () => {
    expect(t('en', 'toast.hot', { lead: 'u:ann' })).toBe('u:ann is now hot — call today');
    expect(t('zh-CN', 'toast.hot', { lead: 'u:ann' })).toBe('u:ann 已升为热线索——请今天立即跟进');
    expect(t('en', 'toast.hot')).toBe('{lead} is now hot — call today');
    expect(t('en', 'toast.alert', { lead: 'u:ann' })).toBe('u:ann: {action}');
  });

  it('inserts a value with $ patterns or braces literally', () => {
    expect(t('en', 'toast.alert', { lead: "$& $' {action}", action: 'call' })).toBe("$& $' {action}: call");
  });

  it('falls back to the key for an unknown key and to English for an unknown language', () => {
    expect(t('en', 'no.such.key')).toBe('no.such.key');
    expect(t('zh-CN', 'no.such.key', { x: 1 })).toBe('no.such.key');
    expect(t('fr', 'hot.title')).toBe(messages.en['hot.title']);
  });

  it('does not treat inherited object properties as messages', () => {
    expect(t('en', 'constructor')).toBe('constructor');
    expect(t('en', 'toast.alert', Object.create({ lead: 'inherited' }))).toBe('{lead}: {action}');
  });
});

describe('the starting language', () => {
  it('is the remembered one, else Chinese for any zh browser, else English', () => {
    expect(pickLang('zh-CN', 'en-US')).toBe('zh-CN');
    expect(pickLang(null, 'zh-TW')).toBe('zh-CN');
    expect(pickLang(null, 'zh')).toBe('zh-CN');
    expect(pickLang('fr', 'de-DE')).toBe('en');
    expect(pickLang(undefined, undefined)).toBe('en');
  });
});
