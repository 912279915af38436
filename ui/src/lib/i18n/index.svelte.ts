import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

/** Languages the UI ships in. */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
/** What the user chose in Settings: a language, or whatever the OS uses. */
export type LocalePreference = Locale | 'system';

const DICTIONARIES: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const PREFERENCE_KEY = 'courtside.locale';

/** Maps a BCP 47 tag from the OS (`zh-Hans-CN`, `zh_CN.UTF-8`, `en-GB`) to a shipped language. */
export function resolveLocale(tag: string | null | undefined): Locale {
  const t = (tag ?? '').trim().toLowerCase().replace('_', '-');
  return t === 'zh' || t.startsWith('zh-') ? 'zh-CN' : 'en';
}

/** Replaces `{name}` placeholders; unknown placeholders stay visible so a mistake is noticed. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole
  );
}

class I18n {
  preference = $state<LocalePreference>('system');
  osLocale = $state<string | null>(null);
  locale = $derived<Locale>(this.preference === 'system' ? resolveLocale(this.osLocale) : this.preference);

  /** The message for `key` in the current language. */
  t = (key: MessageKey, params?: Record<string, string | number>): string =>
    format(DICTIONARIES[this.locale][key], params);

  load(storage: Pick<Storage, 'getItem'> | undefined, osLocale: string | null): void {
    this.osLocale = osLocale;
    const saved = storage?.getItem(PREFERENCE_KEY);
    if (saved === 'system' || (LOCALES as readonly string[]).includes(saved ?? '')) {
      this.preference = saved as LocalePreference;
    }
  }

  choose(preference: LocalePreference, storage?: Pick<Storage, 'setItem'>): void {
    this.preference = preference;
    storage?.setItem(PREFERENCE_KEY, preference);
  }
}

/** The UI's language state; components read `i18n.t(...)` and re-render when it changes. */
export const i18n = new I18n();
export const DICTIONARY_FOR_TESTS = DICTIONARIES;
