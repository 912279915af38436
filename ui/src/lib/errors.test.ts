import { describe, expect, it } from 'vitest';
import { ERROR_MESSAGES } from './errors';
import { en } from './i18n/en';
import { zhCN } from './i18n/zh-CN';
// The file's text, as Rust generated it (Vite's raw import).
import bindings from './backend/bindings.ts?raw';

/** The error codes as Rust generated them into the bindings (not as this UI believes). */
function rustErrorCodes(): string[] {
  const union = /export type ErrorCode = ([^;]+);/.exec(bindings)?.[1] ?? '';
  return [...union.matchAll(/"(\w+)"/g)].map((m) => m[1] ?? '');
}

describe('error codes', () => {
  it('the bindings list some codes', () => {
    expect(rustErrorCodes()).toContain('vaultInUse');
  });

  it.each(rustErrorCodes())('%s has a message in English and Chinese', (code) => {
    const key = (ERROR_MESSAGES as Record<string, keyof typeof en | undefined>)[code];
    expect(key, code).toBeDefined();
    expect(en[key!]).toBeTruthy();
    expect(zhCN[key!]).toBeTruthy();
  });
});
