// A text the state wants shown (a toast, a result line, the PIN dialog's reason): a key and its values, translated when
// rendered, so a language switch also changes what is already on screen, and the state stays testable without i18n.
import type { ParseKeys } from 'i18next';
import { AppError } from '../../../shared/errors';

export type MessageKey = ParseKeys<'translation'>;
export type MessageValues = Record<string, string | number>;

export interface Msg {
  key: MessageKey;
  values?: MessageValues;
}

export function msg(key: MessageKey, values?: MessageValues): Msg {
  return values ? { key, values } : { key };
}

/**
 * An error from main as a message: its code picks the localised text; main's own English message (which names the file
 * or field) is passed as {{message}}, so English shows it as it is and Chinese puts it after a translated lead.
 */
export function errorMsg(e: unknown): Msg {
  if (e instanceof AppError) {
    const retry = e.details?.retryAfterMs;
    const values: MessageValues = { message: e.message };
    if (typeof retry === 'number') values.seconds = Math.ceil(retry / 1000);
    return { key: `errors.${e.code}`, values };
  }
  return { key: 'errors.other', values: { message: e instanceof Error ? e.message : String(e) } };
}
