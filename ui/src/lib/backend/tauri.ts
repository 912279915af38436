import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { toBackendError, type Backend } from './index';

/** Calls a Rust command; every rejection becomes a `BackendError`. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toBackendError(e);
  }
}

export const tauriBackend: Backend = {
  appInfo: () => call('app_info'),
  checkConnectivity: () => call('check_connectivity'),
  vaultState: () => call('vault_state'),
  createVault: (passphrase) => call('create_vault', { passphrase }),
  unlockVault: (passphrase) => call('unlock_vault', { passphrase }),
  unlockWithRecoveryKey: (recoveryKey) => call('unlock_with_recovery_key', { recoveryKey }),
  changePassphrase: (newPassphrase) => call('change_passphrase', { newPassphrase }),
  deviceUnlockEnabled: () => call('device_unlock_enabled'),
  setDeviceUnlock: (on) => call('set_device_unlock', { on }),
  unlockWithThisDevice: () => call('unlock_with_this_device'),
  lockVault: () => call('lock_vault'),
  listDrafts: () => call('list_drafts'),
  createDraft: (title, body, caseId) => call('create_draft', { title, body, caseId }),
  saveDraft: (id, title, body) => call('save_draft', { id, title, body }),
  getDraft: (id, version) => call('get_draft', { id, version }),
  draftHistory: (id) => call('draft_history', { id }),
  restoreDraft: (id, version) => call('restore_draft', { id, version }),
  searchDrafts: (query) => call('search_drafts', { query }),
  onLockRequested: (handler) => listen('vault-lock-requested', () => handler()),
  uiReady: () => call('ui_ready')
};
