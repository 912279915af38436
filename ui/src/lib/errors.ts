import type { BackendError } from './backend';
import { i18n } from './i18n/index.svelte';

/** A user-facing sentence for a backend error, in the current language. */
export function errorMessage(e: BackendError): string {
  switch (e.code) {
    case 'court':
      return i18n.t('error.court', { message: e.message });
    case 'invalidInput':
      return i18n.t('error.invalidInput', { message: e.message });
    case 'demoCourt':
      return i18n.t('error.demoCourt', { message: e.message });
    case 'internal':
      return i18n.t('error.internal', { message: e.message });
    default:
      return i18n.t('error.generic', { message: e.message });
  }
}
