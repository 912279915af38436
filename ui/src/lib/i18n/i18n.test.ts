import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { format, resolveLocale } from './index.svelte';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('resolveLocale', () => {
  it.each([
    ['zh-CN', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['zh_CN.UTF-8', 'zh-CN'],
    ['ZH-tw', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['en-US', 'en'],
    ['fr-FR', 'en'],
    ['zhx', 'en'],
    ['', 'en'],
    [null, 'en']
  ])('%s -> %s', (tag, expected) => {
    expect(resolveLocale(tag)).toBe(expected);
  });
});

describe('dictionaries', () => {
  it('Chinese has exactly the English keys', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it('every translation keeps the same placeholders', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('no message is empty', () => {
    for (const [key, value] of [...Object.entries(en), ...Object.entries(zhCN)]) {
      expect(value.trim(), key).not.toBe('');
    }
  });
});

describe('format', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('Online: {court}', { court: '示范法院' })).toBe('Online: 示范法院');
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
});
