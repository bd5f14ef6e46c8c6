import type { SliceCreator } from '../types';
import type { Msg } from '../../i18n/message';

export type Screen = 'inspect' | 'dashboard' | 'models' | 'thresholds' | 'review' | 'settings';

export interface Toast {
  id: number;
  tone: 'info' | 'error' | 'ok';
  text: Msg;
}

export interface UiSlice {
  screen: Screen;
  connection: { state: 'connecting' | 'open' | 'closed'; reason: string | null };
  toasts: Toast[];
  go(screen: Screen): void;
  notify(tone: Toast['tone'], text: Msg): void;
  dismiss(id: number): void;
  setConnection(state: UiSlice['connection']['state'], reason?: string | null): void;
}

const MAX_TOASTS = 4;

export const createUiSlice: SliceCreator<UiSlice> = () => (set) => {
  let nextId = 1;
  return {
    screen: 'inspect',
    connection: { state: 'connecting', reason: null },
    toasts: [],
    go: (screen) => set({ screen }),
    notify: (tone, text) =>
      set((s) => {
        // The same message twice in a row is shown once (a failing camera would otherwise flood the screen).
        const last = s.toasts.at(-1);
        if (last && last.text.key === text.key && JSON.stringify(last.text.values) === JSON.stringify(text.values)) return s;
        return { toasts: [...s.toasts, { id: nextId++, tone, text }].slice(-MAX_TOASTS) };
      }),
    dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
    setConnection: (state, reason = null) => set({ connection: { state, reason } }),
  };
};
