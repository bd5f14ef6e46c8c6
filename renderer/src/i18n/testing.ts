// TEST HELPER: a Msg from the state as the UI would show it, in either language.
import { createI18n, type Language } from './index';
import type { Msg } from './message';

const instances = new Map<Language, ReturnType<typeof createI18n>>();

export function text(m: Msg | null | undefined, lng: Language = 'en'): string {
  if (!m) return '';
  let i = instances.get(lng);
  if (!i) {
    i = createI18n(lng);
    instances.set(lng, i);
  }
  return i.t(m.key, m.values ?? {});
}
