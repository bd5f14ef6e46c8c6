// React bindings: the translate function, the current language's formatter, and Msg rendering.
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { formatFor, type Format } from '../lib/format';
import type { Msg } from './message';
import type { Language } from './index';

export function useT(): TFunction {
  return useTranslation().t;
}

export function useLanguage(): Language {
  return useTranslation().i18n.language as Language;
}

/** Numbers, units, dates and times in the UI language. */
export function useFormat(): Format {
  return formatFor(useLanguage());
}

/** A Msg from the state, in the UI language. */
export function useMsg(): (m: Msg | null | undefined) => string {
  const { t } = useTranslation();
  return useCallback((m) => (m ? t(m.key, m.values ?? {}) : ''), [t]);
}
