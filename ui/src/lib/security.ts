/** Passphrase strength as the UI shows it, and the idle auto-lock rule. */

export type Strength = 'weak' | 'fair' | 'strong';

/**
 * A rough strength estimate: length counts most; mixing kinds of characters (lower, upper,
 * digits, symbols, CJK) helps. Long passphrases of ordinary words are "strong" on purpose.
 */
export function passphraseStrength(p: string): Strength {
  const chars = [...p];
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^\p{L}\p{N}]/u, /\p{Script=Han}/u].filter((re) => re.test(p)).length;
  const score = chars.length + 2 * kinds;
  if (chars.length < 8 || score < 14) return 'weak';
  return score >= 20 ? 'strong' : 'fair';
}

/** Minutes of inactivity before the vault locks itself; 0 means never. */
export const AUTO_LOCK_CHOICES = [5, 15, 30, 60, 0] as const;
export const DEFAULT_AUTO_LOCK_MINUTES = 15;

/** Whether the vault should lock now, given the last activity and the chosen minutes. */
export function shouldAutoLock(lastActivityMs: number, nowMs: number, minutes: number): boolean {
  return minutes > 0 && nowMs - lastActivityMs >= minutes * 60_000;
}
