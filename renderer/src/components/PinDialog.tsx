import { useState, type FormEvent } from 'react';
import { usePick } from '../lib/app-context';
import { useMsg, useT } from '../i18n/hooks';

export function PinDialog() {
  const t = useT();
  const text = useMsg();
  const { pinDialog: dialog, submitPin, closePin } = usePick('pinDialog', 'submitPin', 'closePin');
  const [pin, setPin] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  if (!dialog) return null;
  const setup = dialog.mode === 'setup';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (setup && pin !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    const ok = await submitPin(pin);
    setPin('');
    setConfirm('');
    if (ok) setMismatch(false);
  };

  return (
    <div className="modal-backdrop">
      <form className="modal" onSubmit={submit} data-testid="pin-dialog" aria-labelledby="pin-title">
        <h2 id="pin-title">{setup ? t('pin.setupTitle') : t('pin.unlockTitle')}</h2>
        {dialog.reason && <p className="muted">{text(dialog.reason)}</p>}
        {setup && <p className="muted small">{t('pin.setupHint')}</p>}
        <label>
          {t('pin.pin')}
          <input
            type="password"
            inputMode="numeric"
            autoComplete="off"
            autoFocus
            maxLength={12}
            value={pin}
            onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))}
            data-testid="pin-input"
          />
        </label>
        {setup && (
          <label>
            {t('pin.repeat')}
            <input
              type="password"
              inputMode="numeric"
              autoComplete="off"
              maxLength={12}
              value={confirm}
              onChange={(e) => setConfirm(e.target.value.replace(/\D/g, ''))}
              data-testid="pin-confirm"
            />
          </label>
        )}
        {(dialog.error || mismatch) && (
          <p className="error" role="alert" data-testid="pin-error">
            {mismatch ? t('pin.mismatch') : text(dialog.error)}
          </p>
        )}
        <div className="row end">
          <button type="button" onClick={closePin} data-testid="pin-cancel">
            {setup ? t('pin.later') : t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={dialog.busy || pin.length < 4} data-testid="pin-submit">
            {setup ? t('pin.set') : t('pin.unlock')}
          </button>
        </div>
      </form>
    </div>
  );
}
