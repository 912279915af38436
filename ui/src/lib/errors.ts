import type { BackendError, DamagedItem, ErrorCode } from './backend';
import type { MessageKey } from './i18n/en';
import { i18n } from './i18n/index.svelte';

/**
 * The message of every error code Rust can send. A `Record` over the union: a code added in
 * Rust (and so in the generated bindings) without a message here fails the type check, and
 * `errors.test.ts` checks the list against the bindings file itself.
 */
export const ERROR_MESSAGES: Record<ErrorCode, MessageKey> = {
  invalidInput: 'error.invalidInput',
  notFound: 'error.notFound',
  offline: 'error.offline',
  courtRefused: 'error.courtRefused',
  notSignedIn: 'error.notSignedIn',
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

/** "A case: an older copy of it was put back in its place", in the current language. */
export function damageLine(d: Pick<DamagedItem, 'thing' | 'kind'>): string {
  return i18n.t('damage.line', { thing: i18n.t(`damage.thing.${d.thing}`), kind: i18n.t(`damage.kind.${d.kind}`) });
}

function damaged(details: unknown): DamagedItem | null {
  if (typeof details !== 'object' || details === null) return null;
  const d = details as Partial<DamagedItem>;
  return typeof d.thing === 'string' && typeof d.kind === 'string' ? (d as DamagedItem) : null;
}

/** A user-facing sentence for a backend error, in the current language. A damaged item is
 * named by what it is and what happened to it (Rust's own words go behind "details"). */
export function errorMessage(e: Pick<BackendError, 'code' | 'message'> & { details?: unknown }): string {
  const item = e.code === 'tampered' ? damaged(e.details) : null;
  if (item) {
    return i18n.t('damage.error', { thing: i18n.t(`damage.thing.${item.thing}`), kind: i18n.t(`damage.kind.${item.kind}`) });
  }
  const key = ERROR_MESSAGES[e.code] ?? 'error.generic';
  return i18n.t(key, { message: e.message });
}
