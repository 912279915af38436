import { backend, toBackendError, type AppInfo, type Connectivity, type VaultState } from './backend';
import { i18n } from './i18n/index.svelte';

export type ThemePreference = 'system' | 'light' | 'dark';
const THEME_KEY = 'courtside.theme';
/** How often the court is asked whether it is there, while the app is open. */
const CONNECTIVITY_INTERVAL_MS = 30_000;

/** What the whole UI knows about the running app: info, vault state, connectivity. */
class Session {
  info = $state<AppInfo | null>(null);
  vault = $state<VaultState | null>(null);
  connectivity = $state<Connectivity | null>(null);
  checking = $state(false);
  theme = $state<ThemePreference>('system');
  startupError = $state<string | null>(null);
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Work that must finish before the vault locks (e.g. saving the draft being edited). */
  readonly beforeLock = new Set<() => Promise<void>>();

  async start(): Promise<void> {
    try {
      const b = await backend();
      this.info = await b.appInfo();
      i18n.load(safeStorage(), this.info.osLocale);
      this.setTheme((safeStorage()?.getItem(THEME_KEY) as ThemePreference | null) ?? 'system', false);
      this.vault = await b.vaultState();
      void this.refreshConnectivity();
      this.#timer ??= setInterval(() => void this.refreshConnectivity(), CONNECTIVITY_INTERVAL_MS);
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
