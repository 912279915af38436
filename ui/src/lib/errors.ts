import type { BackendError, ErrorCode } from './backend';
import type { MessageKey } from './i18n/en';
import { i18n } from './i18n/index.svelte';

/**
 * The message of every error code Rust can send. A `Record` over the union: a code added in
 * Rust (and so in the generated bindings) without a message here fails the type check, and
 * `errors.test.ts` checks the list against the bindings file itself.
 */
export const ERROR_MESSAGES: Record<ErrorCode, MessageKey> = {
  invalidInput: 'error.invalidInput',
  court: 'error.court',
  demoCourt: 'error.demoCourt',
  wrongPassphrase: 'error.wrongPassphrase',
  wrongRecoveryKey: 'error.wrongRecoveryKey',
  locked: 'error.locked',
  keychainUnavailable: 'error.keychainUnavailable',
  deviceUnlockUnavailable: 'error.deviceUnlockUnavailable',
  tampered: 'error.tampered',
  vault: 'error.vault',
  vaultInUse: 'error.vaultInUse',
  conflict: 'error.conflict',
  backupDamaged: 'error.backupDamaged',
  backupFolder: 'error.backupFolder',
  internal: 'error.internal'
};

/** A user-facing sentence for a backend error, in the current language. */
export function errorMessage(e: Pick<BackendError, 'code' | 'message'>): string {
  const key = ERROR_MESSAGES[e.code] ?? 'error.generic';
  return i18n.t(key, { message: e.message });
}
