import {
  backend,
  toBackendError,
  type AppInfo,
  type BackupStatus,
  type Connectivity,
  type DamagedItem,
  type VaultState
} from './backend';
import { i18n } from './i18n/index.svelte';

import { DEFAULT_AUTO_LOCK_MINUTES, shouldAutoLock } from './security';

export type ThemePreference = 'system' | 'light' | 'dark';
const THEME_KEY = 'courtside.theme';
const AUTO_LOCK_KEY = 'courtside.autoLockMinutes';
/** How often the court is asked whether it is there, while the app is open. */
const CONNECTIVITY_INTERVAL_MS = 30_000;

/** What the whole UI knows about the running app: info, vault state, connectivity. */
class Session {
  info = $state<AppInfo | null>(null);
  vault = $state<VaultState | null>(null);
  /** Set by a restore from a backup, until the restored vault is unlocked: what to tell. */
  restored = $state<{ createdAt: number; signInsToRedo: number } | null>(null);
  /** The backups' status as last read (Settings and the sidebar show the same one). */
  backup = $state<BackupStatus | null>(null);
  /** Damaged items of the vault as last read (the notice on every page, and the check in
   * Settings, show the same list). */
  damage = $state<DamagedItem[]>([]);
  connectivity = $state<Connectivity | null>(null);
  checking = $state(false);
  theme = $state<ThemePreference>('system');
  startupError = $state<string | null>(null);
  autoLockMinutes = $state(DEFAULT_AUTO_LOCK_MINUTES);
  #lastActivity = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Work that must finish before the vault locks (e.g. saving the draft being edited). */
  readonly beforeLock = new Set<() => Promise<void>>();

  async start(): Promise<void> {
    try {
      const b = await backend();
      this.info = await b.appInfo();
      i18n.load(safeStorage(), this.info.osLocale);
      this.setTheme((safeStorage()?.getItem(THEME_KEY) as ThemePreference | null) ?? 'system', false);
      const saved = Number(safeStorage()?.getItem(AUTO_LOCK_KEY) ?? NaN);
      if (Number.isFinite(saved) && saved >= 0) this.autoLockMinutes = saved;
      this.vault = await b.vaultState();
      void this.refreshConnectivity();
      this.#timer ??= setInterval(() => void this.refreshConnectivity(), CONNECTIVITY_INTERVAL_MS);
      this.#watchIdle();
      // The machine is going to sleep (or woke up): save what is typed, then lock.
      await b.onLockRequested(() => {
        if (this.vault === 'unlocked') void this.lock();
      });
    } catch (e) {
      this.startupError = toBackendError(e).message;
    }
  }

  async refreshConnectivity(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      this.connectivity = await (await backend()).checkConnectivity();
    } finally {
      this.checking = false;
    }
  }

  setAutoLock(minutes: number): void {
    this.autoLockMinutes = minutes;
    safeStorage()?.setItem(AUTO_LOCK_KEY, String(minutes));
  }

  /** Locks the vault after the chosen minutes without keyboard, mouse or touch input. */
  #watchIdle(): void {
    if (typeof window === 'undefined') return;
    const touch = () => (this.#lastActivity = Date.now());
    for (const event of ['keydown', 'pointerdown', 'pointermove', 'wheel', 'focus']) {
      window.addEventListener(event, touch, { passive: true, capture: true });
    }
    setInterval(() => {
      if (this.vault === 'unlocked' && shouldAutoLock(this.#lastActivity, Date.now(), this.autoLockMinutes)) {
        void this.lock();
      }
    }, 15_000);
  }

  /** Saves what is pending, then locks the vault and forgets its keys. */
  async lock(): Promise<void> {
    await Promise.allSettled([...this.beforeLock].map((flush) => flush()));
    await (await backend()).lockVault();
    this.vault = 'locked';
  }

  setTheme(theme: ThemePreference, persist = true): void {
    this.theme = theme;
    if (persist) safeStorage()?.setItem(THEME_KEY, theme);
    if (typeof document !== 'undefined') {
      if (theme === 'system') document.documentElement.removeAttribute('data-theme');
      else document.documentElement.setAttribute('data-theme', theme);
    }
  }
}

/** localStorage holds only UI preferences (language, theme), never user content. */
export function safeStorage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

export const session = new Session();
