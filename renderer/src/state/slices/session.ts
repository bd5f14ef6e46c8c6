// Who is at the keyboard: operator by default; engineer after the PIN. Engineer actions go through asEngineer, which
// asks for the PIN when needed and then runs the action.
import type { AuthStatus } from '../../../../shared/domain';
import { errorCode } from '../errors';
import { errorMsg, msg, type Msg } from '../../i18n/message';
import type { SliceCreator } from '../types';

export interface PinDialogState {
  mode: 'setup' | 'unlock';
  error: Msg | null;
  busy: boolean;
  /** What the engineer was trying to do, shown in the dialog. */
  reason: Msg | null;
}

export interface SessionSlice {
  auth: AuthStatus | null;
  appVersion: string | null;
  pinDialog: PinDialogState | null;
  pendingEngineer: (() => Promise<void>) | null;
  loadSession(): Promise<void>;
  setAuth(a: AuthStatus): void;
  openPin(mode: PinDialogState['mode'], reason?: Msg | null): void;
  closePin(): void;
  submitPin(pin: string): Promise<boolean>;
  lock(): Promise<void>;
  asEngineer(reason: Msg, action: () => Promise<void>): Promise<void>;
}

export const createSessionSlice: SliceCreator<SessionSlice> = ({ client }) => (set, get) => {
  const runPending = async () => {
    const action = get().pendingEngineer;
    set({ pendingEngineer: null });
    if (action) await action();
  };

  return {
    auth: null,
    appVersion: null,
    pinDialog: null,
    pendingEngineer: null,

    async loadSession() {
      const [hello, auth] = await Promise.all([client.call('app.hello', {}), client.call('auth.status', {})]);
      set({ appVersion: hello.appVersion, auth });
      if (!auth.pinSet) get().openPin('setup', msg('pin.firstStart'));
    },

    setAuth: (auth) => set({ auth }),

    openPin: (mode, reason = null) => set({ pinDialog: { mode, error: null, busy: false, reason } }),

    closePin: () => set({ pinDialog: null, pendingEngineer: null }),

    async submitPin(pin) {
      const dialog = get().pinDialog;
      if (!dialog) return false;
      set({ pinDialog: { ...dialog, busy: true, error: null } });
      try {
        const auth = await client.call(dialog.mode === 'setup' ? 'auth.setupPin' : 'auth.elevate', { pin });
        set({ auth, pinDialog: null });
        await runPending();
        return true;
      } catch (e) {
        const code = errorCode(e);
        const text = code === 'BAD_REQUEST' ? msg('pin.badFormat') : errorMsg(e);
        set({ pinDialog: { ...dialog, busy: false, error: text } });
        if (code === 'CONFLICT' && dialog.mode === 'setup') set({ pinDialog: { mode: 'unlock', busy: false, error: text, reason: dialog.reason } });
        return false;
      }
    },

    async lock() {
      set({ auth: await client.call('auth.dropToOperator', {}) });
    },

    async asEngineer(reason, action) {
      const run = async () => {
        try {
          await action();
        } catch (e) {
          // Engineer rights can lapse between the click and the call: ask again, then retry once.
          if (errorCode(e) === 'PIN_REQUIRED') {
            set({ pendingEngineer: action, auth: { ...(get().auth ?? { pinSet: true, retryAfterMs: null }), role: 'operator', engineerUntil: null } });
            get().openPin('unlock', reason);
            return;
          }
          get().notify('error', errorMsg(e));
        }
      };
      if (get().auth?.role === 'engineer') return run();
      set({ pendingEngineer: run });
      get().openPin(get().auth?.pinSet === false ? 'setup' : 'unlock', reason);
    },
  };
};
