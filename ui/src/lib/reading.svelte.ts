import { backend, toBackendError, type Backend } from '$lib/backend';
import { errorMessage } from '$lib/errors';

/** What a page shows from the backend: the last value read, the last error, and a re-read. */
export interface Reading<T> {
  readonly value: T | null;
  readonly error: string | null;
  reload(): Promise<void>;
}

/**
 * Reads `read` from the backend while the calling component is shown: at once, and again
 * every `everyMs` (0: once) since the court's news can change it at any time. Call it while
 * the component initialises. A failed read keeps the last value and says why.
 */
export function reading<T>(read: (b: Backend) => Promise<T>, everyMs = 5_000): Reading<T> {
  let value = $state<T | null>(null);
  let error = $state<string | null>(null);
  const reload = async () => {
    try {
      value = await read(await backend());
      error = null;
    } catch (e) {
      error = errorMessage(toBackendError(e));
    }
  };
  $effect(() => {
    void reload();
    if (!everyMs) return;
    const timer = setInterval(() => void reload(), everyMs);
    return () => clearInterval(timer);
  });
  return {
    get value() {
      return value;
    },
    get error() {
      return error;
    },
    reload
  };
}
