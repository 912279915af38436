import { describe, expect, it } from 'vitest';
import { passphraseStrength, shouldAutoLock } from './security';

describe('passphraseStrength', () => {
  it.each([
    ['', 'weak'],
    ['abc', 'weak'],
    ['password', 'weak'],
    ['Passw0rd', 'fair'],
    ['correct horse battery', 'strong'],
    ['我的口令很长很长', 'weak'],
    ['我的口令2025-Safe', 'strong']
  ])('%s is %s', (p, expected) => {
    expect(passphraseStrength(p)).toBe(expected);
  });
});

describe('shouldAutoLock', () => {
  it('locks once the idle time reaches the setting', () => {
    expect(shouldAutoLock(0, 15 * 60_000 - 1, 15)).toBe(false);
    expect(shouldAutoLock(0, 15 * 60_000, 15)).toBe(true);
  });
  it('never locks when set to 0', () => {
    expect(shouldAutoLock(0, 10 ** 12, 0)).toBe(false);
  });
});
