import { BackendError, type Backend } from './index';
import { createFakeCases } from './fake-cases';
import { createFakeEvidence } from './fake-evidence';
import type { BackupStatus, DamagedItem, Draft, RestoreSource, VaultState } from './bindings';

/**
 * An in-memory backend for the web build (Playwright suite, UI development in a browser).
 * It keeps the real backend's rules that the UI relies on (wrong passphrase is refused, a
 * locked vault refuses drafts, every changed save is a new version) so UI tests exercise
 * real flows. `?offline` in the page URL makes the court unreachable; `?locale=zh-CN` sets
 * the "OS" locale; `?vault=PASS` starts with a locked vault opened by PASS.
 * `globalThis.__courtsideFakeSleep()` plays the app's "the machine is going to sleep" event.
 * `?backup` offers a backup (made with the passphrase `correct horse battery`) at first run.
 * `?damaged` makes the vault hold a case record put back to an older copy and an exhibit
 * file whose bytes changed (as a bad disk or a sync tool would leave them).
 */
export function createFakeBackend(): Backend {
  const evidence = createFakeEvidence(() => unlocked());
  const params = new URLSearchParams(globalThis.location?.search ?? '');
  let state: VaultState = params.has('vault') ? 'locked' : 'absent';
  let passphrase = params.get('vault') ?? '';
  const drafts = new Map<string, Draft[]>();
  let nextId = 1;
  const lockRequests = new Set<() => void>();
  (globalThis as { __courtsideFakeSleep?: () => void }).__courtsideFakeSleep = () => lockRequests.forEach((h) => h());

  const unlocked = () => {
    if (state !== 'unlocked') throw new BackendError({ code: 'locked', message: 'the vault is locked' });
  };
  const versions = (id: string) => {
    const v = drafts.get(id);
    if (!v) throw new BackendError({ code: 'notFound', message: `no draft ${id}` });
    return v;
  };
  const current = (id: string) => versions(id)[versions(id).length - 1] as Draft;
  const push = (id: string, title: string, body: string): Draft => {
    const list = drafts.get(id) ?? [];
    const prev = list[list.length - 1];
    const now = Date.now();
    const draft: Draft = { id, caseId: prev?.caseId ?? null, title, body, version: list.length + 1, createdAt: prev?.createdAt ?? now, savedAt: now };
    drafts.set(id, [...list, draft]);
    return draft;
  };

  const FAKE_FOLDER = '/media/usb/Courtside backups';
  let backup: BackupStatus = {
    folder: null,
    everyHours: 24,
    warnAfterDays: 7,
    lastSuccessAt: null,
    lastSnapshot: null,
    lastError: null,
    running: false,
    overdue: true
  };
  const offered: RestoreSource = {
    folder: FAKE_FOLDER,
    snapshots: [{ name: '20261130T180000.000Z-5e1f0a2b', createdAt: Date.UTC(2026, 10, 30, 18) }]
  };
  let restoreFrom: RestoreSource | null = null;

  const damaged: DamagedItem[] = params.has('damaged')
    ? [
        { item: 'cases/5f0c9a1e2b7d4c3f8e6a1b2c3d4e5f60', thing: 'case', kind: 'rolledBack' },
        { item: 'blobs/exhibit-0a1b2c3d4e5f60718293a4b5c6d7e8f9', thing: 'exhibitFile', kind: 'altered' }
      ]
    : [];

  return {
    vaultDamage: async () => (unlocked(), [...damaged]),
    checkVault: async () => (unlocked(), [...damaged]),
    backupStatus: async () => (unlocked(), { ...backup }),
    backUpNow: async () => {
      unlocked();
      if (!backup.folder) throw new BackendError({ code: 'invalidInput', message: 'choose a backup folder first' });
      const now = Date.now();
      const stamp = new Date(now).toISOString().replace(/[-:]/g, '');
      backup = { ...backup, lastSuccessAt: now, lastSnapshot: `${stamp}-fa4e0001`, lastError: null, overdue: false };
      return { ...backup };
    },
    setBackupSchedule: async (everyHours, warnAfterDays) => {
      unlocked();
      if (everyHours < 1 || everyHours > 168 || warnAfterDays < 1 || warnAfterDays > 90) {
        throw new BackendError({ code: 'invalidInput', message: 'back up every 1 to 168 hours, warn after 1 to 90 days' });
      }
      backup = { ...backup, everyHours, warnAfterDays };
      return { ...backup };
    },
    stopBackups: async () => (unlocked(), (backup = { ...backup, folder: null }), { ...backup }),
    chooseBackupFolder: async () => (unlocked(), (backup = { ...backup, folder: FAKE_FOLDER }), { ...backup }),
    configuredRestoreSource: async () => (params.has('backup') ? (restoreFrom = offered) : null),
    chooseRestoreFolder: async () => (restoreFrom = offered),
    restoreFromBackup: async (snapshot, secret, recoveryKey) => {
      if (state !== 'absent') throw new BackendError({ code: 'invalidInput', message: 'this computer has a vault already' });
      if (!restoreFrom) throw new BackendError({ code: 'invalidInput', message: 'choose the backup folder first' });
      const ok = recoveryKey
        ? secret.replace(/[\s-]/g, '').toUpperCase() === 'CSRKFAKE000000000000000000000000'
        : secret === 'correct horse battery';
      if (!ok) {
        throw recoveryKey
          ? new BackendError({ code: 'wrongRecoveryKey', message: 'the recovery key does not open this vault' })
          : new BackendError({ code: 'wrongPassphrase', message: 'the passphrase does not open this vault' });
      }
      passphrase = 'correct horse battery';
      state = 'locked';
      const chosen = restoreFrom.snapshots.find((s) => s.name === snapshot) ?? restoreFrom.snapshots[0];
      return { snapshot: chosen?.name ?? '', createdAt: chosen?.createdAt ?? 0, exhibits: 0, signInsToRedo: 1 };
    },
    exportEverything: async () => (unlocked(), '/home/user/Downloads/courtside-export-20261201-120000'),
    eraseEverything: async (confirm) => {
      unlocked();
      if (confirm !== 'ERASE') throw new BackendError({ code: 'invalidInput', message: 'type ERASE to confirm' });
      drafts.clear();
      passphrase = '';
      state = 'absent';
    },
    appInfo: async () => ({
      version: '0.0.0-web',
      osLocale: params.get('locale') ?? globalThis.navigator?.language ?? null,
      court: { url: 'http://127.0.0.1:0/', demo: true }
    }),
    checkConnectivity: async () =>
      params.has('offline')
        ? { state: 'offline', reason: 'the court at http://127.0.0.1:0/ cannot be reached', checkedAt: Date.now() }
        : { state: 'online', courtName: "示范基层人民法院 (Demo Basic People's Court)", checkedAt: Date.now() },
    vaultState: async () => state,
    createVault: async (p) => {
      if (state !== 'absent') throw new BackendError({ code: 'invalidInput', message: 'a vault already exists' });
      passphrase = p;
      state = 'unlocked';
      return { recoveryKey: 'CSRK-FAKE-0000-0000-0000-0000-0000-0000' };
    },
    unlockVault: async (p) => {
      if (p !== passphrase) throw new BackendError({ code: 'wrongPassphrase', message: 'wrong passphrase' });
      state = 'unlocked';
    },
    unlockWithRecoveryKey: async (key) => {
      if (key.replace(/[\s-]/g, '').toUpperCase() !== 'CSRKFAKE000000000000000000000000') {
        throw new BackendError({ code: 'wrongRecoveryKey', message: 'wrong recovery key' });
      }
      state = 'unlocked';
    },
    changePassphrase: async (p) => {
      unlocked();
      if (p.length < 8) throw new BackendError({ code: 'invalidInput', message: 'the passphrase must have at least 8 characters' });
      passphrase = p;
    },
    // The web build has no keychain, like a headless Linux machine.
    deviceUnlockEnabled: async () => false,
    setDeviceUnlock: async (on) => {
      unlocked();
      if (on) {
        throw new BackendError({
          code: 'keychainUnavailable',
          message: "this computer's keychain is not available (no secret service); unlock with your passphrase instead"
        });
      }
    },
    unlockWithThisDevice: async () => {
      throw new BackendError({ code: 'deviceUnlockUnavailable', message: 'unlocking with this device is not turned on for this vault' });
    },
    lockVault: async () => {
      state = 'locked';
    },
    listDrafts: async () => {
      unlocked();
      return [...drafts.keys()]
        .map((id) => current(id))
        .sort((a, b) => b.savedAt - a.savedAt)
        .map(({ id, title, caseId, version, savedAt }) => ({ id, title, caseId, version, savedAt }));
    },
    createDraft: async (title, body, caseId) => {
      unlocked();
      const id = `fake${nextId++}`;
      const d = push(id, title, body);
      d.caseId = caseId;
      return d;
    },
    saveDraft: async (id, title, body) => {
      unlocked();
      const d = current(id);
      return d.title === title && d.body === body ? d : push(id, title, body);
    },
    getDraft: async (id, version) => {
      unlocked();
      const v = version === null ? current(id) : versions(id)[version - 1];
      if (!v) throw new BackendError({ code: 'notFound', message: `no version ${version}` });
      return v;
    },
    draftHistory: async (id) => {
      unlocked();
      return versions(id).map((d) => ({ number: d.version, title: d.title, chars: [...d.body].length, savedAt: d.savedAt }));
    },
    restoreDraft: async (id, version) => {
      unlocked();
      const old = versions(id)[version - 1];
      if (!old) throw new BackendError({ code: 'notFound', message: `no version ${version}` });
      return push(id, old.title, old.body);
    },
    searchDrafts: async (query) => {
      unlocked();
      const q = query.trim().toLowerCase();
      if (!q) return [];
      return [...drafts.keys()]
        .map((id) => current(id))
        .filter((d) => `${d.title}\n${d.body}`.toLowerCase().includes(q))
        .map((d) => ({ id: d.id, title: d.title, snippet: d.body.slice(0, 80) }));
    },
    ...createFakeCases(unlocked, params.has('offline'), evidence.exhibitsOf),
    ...evidence.methods,
    onLockRequested: async (handler) => {
      lockRequests.add(handler);
      return () => lockRequests.delete(handler);
    },
    uiReady: async () => {}
  };
}
