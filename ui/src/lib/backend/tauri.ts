import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { toBackendError, type Backend } from './index';
import type { DropOffer, DropProgress, NewsKind, SyncOverview } from './bindings';

/** Calls a Rust command; every rejection becomes a `BackendError`. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toBackendError(e);
  }
}

/** Sends bytes as the raw request body, with the rest in (percent-encoded) headers. */
async function callRaw<T>(command: string, bytes: Uint8Array, headers: Record<string, string>): Promise<T> {
  const encoded = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, encodeURIComponent(v)]));
  try {
    return await invoke<T>(command, bytes, { headers: encoded });
  } catch (e) {
    throw toBackendError(e);
  }
}

export const tauriBackend: Backend = {
  appInfo: () => call('app_info'),
  checkConnectivity: () => call('check_connectivity'),
  vaultState: () => call('vault_state'),
  vaultDamage: () => call('vault_damage'),
  checkVault: () => call('check_vault'),
  createVault: (passphrase) => call('create_vault', { passphrase }),
  unlockVault: (passphrase) => call('unlock_vault', { passphrase }),
  unlockWithRecoveryKey: (recoveryKey) => call('unlock_with_recovery_key', { recoveryKey }),
  changePassphrase: (newPassphrase) => call('change_passphrase', { newPassphrase }),
  deviceUnlockEnabled: () => call('device_unlock_enabled'),
  setDeviceUnlock: (on) => call('set_device_unlock', { on }),
  unlockWithThisDevice: () => call('unlock_with_this_device'),
  lockVault: () => call('lock_vault'),
  backupStatus: () => call('backup_status'),
  backUpNow: () => call('back_up_now'),
  setBackupSchedule: (everyHours, warnAfterDays) => call('set_backup_schedule', { everyHours, warnAfterDays }),
  stopBackups: () => call('stop_backups'),
  chooseBackupFolder: (title) => call('choose_backup_folder', { title }),
  configuredRestoreSource: () => call('configured_restore_source'),
  chooseRestoreFolder: (title) => call('choose_restore_folder', { title }),
  restoreFromBackup: (snapshot, secret, recoveryKey) => call('restore_from_backup', { snapshot, secret, recoveryKey }),
  exportEverything: () => call('export_everything'),
  eraseEverything: (confirm) => call('erase_everything', { confirm }),
  listDrafts: () => call('list_drafts'),
  createDraft: (title, body, caseId) => call('create_draft', { title, body, caseId }),
  saveDraft: (id, title, body) => call('save_draft', { id, title, body }),
  getDraft: (id, version) => call('get_draft', { id, version }),
  draftHistory: (id) => call('draft_history', { id }),
  restoreDraft: (id, version) => call('restore_draft', { id, version }),
  searchDrafts: (query) => call('search_drafts', { query }),
  signIn: () => call('sign_in'),
  signOut: (court, username) => call('sign_out', { court, username }),
  courtAccounts: () => call('court_accounts'),
  syncOverview: () => call('sync_overview'),
  syncNow: () => call('sync_now'),
  watchSync: async (handler) => {
    let live = true;
    const channel = new Channel<SyncOverview>();
    channel.onmessage = (overview) => live && handler(overview);
    await call('watch_sync', { onEvent: channel });
    return () => {
      live = false;
      void call('unwatch_sync');
    };
  },
  setFilingPaused: (id, paused) => call('set_filing_paused', { id, paused }),
  cancelFiling: (id) => call('cancel_filing', { id }),
  courtPolicy: () => call('court_policy'),
  listCases: () => call('list_cases'),
  getCase: (id) => call('get_case', { id }),
  createCase: (fields) => call('create_case', { fields }),
  updateCase: (id, fields) => call('update_case', { id, fields }),
  copyCase: (id) => call('copy_case', { id }),
  checkAmount: (text) => call('check_amount', { text }),
  deleteCase: (id) => call('delete_case', { id }),
  queueCaseFiling: (id) => call('queue_case_filing', { id }),
  attachCaseDocument: (id, kind, fileName, bytes) =>
    callRaw('attach_case_document', bytes, { 'x-case-id': id, 'x-document-kind': kind, 'x-file-name': fileName }),
  evidenceExchange: (id) => call('evidence_exchange', { id }),
  crossExamine: (id, exhibit, opinion) => call('cross_examine', { id, exhibit, opinion }),
  submitToExchange: (id, exhibits) => call('submit_to_exchange', { id, exhibits }),
  markStepOffline: (id, step, reason) => call('mark_step_offline', { id, step, reason }),
  setCaseExhibits: (id, exhibits) => call('set_case_exhibits', { id, exhibits }),
  detachCaseDocument: (id, blobId) => call('detach_case_document', { id, blobId }),
  addCaseDeadline: (id, period, from, note) => call('add_case_deadline', { id, period, from, note }),
  removeCaseDeadline: (id, deadlineId) => call('remove_case_deadline', { id, deadlineId }),
  agenda: () => call('agenda'),
  calendar: () => call('calendar'),
  exportCalendar: () => call('export_calendar'),
  servedDocuments: () => call('served_documents'),
  servedContent: async (id) => new Uint8Array(await call<ArrayBuffer>('served_content', { id })),
  saveServedCopy: (id) => call('save_served_copy', { id }),
  hearings: () => call('hearings'),
  feeNotices: () => call('fee_notices'),
  payFee: (fee) => call('pay_fee', { fee }),
  networkCheck: () => call('network_check'),
  checkIn: (hearing, check) => call('check_in', { hearing, check }),
  joinHearing: (hearing, minutes) => call('join_hearing', { hearing, minutes }),
  exportHearingLog: (hearing) => call('export_hearing_log', { hearing }),
  answerQuestion: (hearing, question, text) => call('answer_question', { hearing, question, text }),
  mediation: (courtCase) => call('mediation', { courtCase }),
  sendMediationMessage: (courtCase, text) => call('send_mediation_message', { courtCase, text }),
  onCourtNews: (handler) => listen<NewsKind>('court-news', (e) => handler(e.payload)),
  listExhibits: () => call('list_exhibits'),
  addExhibit: (fileName, title, proves, source, bytes) =>
    callRaw('add_exhibit', bytes, { 'x-file-name': fileName, 'x-title': title, 'x-proves': proves, 'x-source': source }),
  exhibitDetail: (id) => call('exhibit_detail', { id }),
  describeExhibit: (id, title, proves) => call('describe_exhibit', { id, title, proves }),
  verifyEvidence: () => call('verify_evidence'),
  exportEvidenceBag: (ids) => call('export_evidence_bag', { ids }),
  timestampEvidence: () => call('timestamp_evidence'),
  captureUrl: (url, proves) => call('capture_url', { url, proves }),
  inboxDir: () => call('inbox_dir'),
  chooseInboxDir: (title) => call('choose_inbox_dir', { title }),
  clearInboxDir: () => call('clear_inbox_dir'),
  onEvidenceDropped: async ({ offer, refused, hover }) => {
    const stops = await Promise.all([
      listen<DropOffer>('evidence-dropped', (e) => offer(e.payload)),
      listen<string>('evidence-drop-refused', (e) => refused(e.payload)),
      listen<boolean>('evidence-drag', (e) => hover(e.payload))
    ]);
    return () => stops.forEach((stop) => stop());
  },
  captureDropped: (token, proves, onProgress) => {
    const channel = new Channel<DropProgress>();
    channel.onmessage = onProgress;
    return call('capture_dropped', { token, proves, onProgress: channel });
  },
  discardDropped: (token) => call('discard_dropped', { token }),
  exhibitContent: async (id) => new Uint8Array(await call<ArrayBuffer>('exhibit_content', { id })),
  nativeChooser: true,
  chooseEvidence: (folders, title) => call('choose_evidence', { folders, title }),
  onLockRequested: (handler) => listen('vault-lock-requested', () => handler()),
  uiReady: () => call('ui_ready')
};
