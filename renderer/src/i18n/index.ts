// The UI's two languages, English and Simplified Chinese, with i18next. The chosen language is kept in localStorage;
// the first start follows the OS/browser (navigator.languages). Keys are typed from en.json (i18next.d.ts), so a
// missing key fails the type check; zh-CN.json must have exactly the same keys (i18n.test.ts).
import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import zhCN from './zh-CN.json';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
export const RESOURCES = { en: { translation: en }, 'zh-CN': { translation: zhCN } } as const;
export const LANGUAGE_KEY = 'patchline.language';

/** The UI language for a stored choice and the OS/browser's preferred languages: Chinese for any zh-*, else English. */
export function pickLanguage(stored: string | null | undefined, preferred: readonly string[]): Language {
  if (stored && (LANGUAGES as readonly string[]).includes(stored)) return stored as Language;
  for (const l of preferred) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

export function createI18n(lng: Language): I18n {
  const instance = i18next.createInstance();
  void instance.use(initReactI18next).init({
    lng,
    fallbackLng: false,
    supportedLngs: [...LANGUAGES],
    resources: RESOURCES,
    // React escapes what it renders; i18next escaping on top would show &quot; in the UI.
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
  });
  return instance;
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage denied: the choice lasts for this session only
  }
}

/** The language to start in (stored choice, else the OS/browser's). */
export function initialLanguage(): Language {
  const nav = typeof navigator === 'undefined' ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];
  return pickLanguage(storage()?.getItem(LANGUAGE_KEY), nav);
}

/** Switches the UI language and remembers it. */
export async function setLanguage(i18n: I18n, lng: Language): Promise<void> {
  storage()?.setItem(LANGUAGE_KEY, lng);
  await i18n.changeLanguage(lng);
  if (typeof document !== 'undefined') document.documentElement.lang = lng;
}
