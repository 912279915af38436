import { BackendError, type Backend } from './index';
import type { VaultState } from './bindings';

/**
 * An in-memory backend for the web build (Playwright suite, UI development in a browser).
 * It keeps the real backend's rules that the UI relies on (wrong passphrase is refused,
 * a locked vault stays locked) so UI tests exercise real flows. `?offline` in the page URL
 * makes the court unreachable; `?locale=zh-CN` sets the "OS" locale.
 */
export function createFakeBackend(): Backend {
  const params = new URLSearchParams(globalThis.location?.search ?? '');
  let state: VaultState = params.has('vault') ? 'locked' : 'absent';
  let passphrase = params.get('vault') ?? '';
  return {
    appInfo: async () => ({
      version: '0.0.0-web',
      osLocale: params.get('locale') ?? globalThis.navigator?.language ?? null,
      court: { url: 'http://127.0.0.1:0/', demo: true }
    }),
    checkConnectivity: async () =>
      params.has('offline')
        ? { state: 'offline', reason: 'the court at http://127.0.0.1:0/ cannot be reached', checkedAt: Date.now() }
        : { state: 'online', courtName: '示范基层人民法院 (Demo Basic People\'s Court)', checkedAt: Date.now() },
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
    lockVault: async () => {
      state = 'locked';
    },
    uiReady: async () => {}
  };
}
