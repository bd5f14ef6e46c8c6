import { useState, type FormEvent } from 'react';
import { useApp } from '../lib/app-context';

export function PinDialog() {
  const dialog = useApp((s) => s.pinDialog);
  const submitPin = useApp((s) => s.submitPin);
  const closePin = useApp((s) => s.closePin);
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
        <h2 id="pin-title">{setup ? 'Set the engineer PIN' : 'Engineer PIN'}</h2>
        {dialog.reason && <p className="muted">{dialog.reason}</p>}
        {setup && <p className="muted small">Engineers use it to train, load or delete models and to change thresholds. 4 to 12 digits.</p>}
        <label>
          PIN
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
            Repeat PIN
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
            {mismatch ? 'The two PINs differ.' : dialog.error}
          </p>
        )}
        <div className="row end">
          <button type="button" onClick={closePin} data-testid="pin-cancel">
            {setup ? 'Later' : 'Cancel'}
          </button>
          <button type="submit" className="primary" disabled={dialog.busy || pin.length < 4} data-testid="pin-submit">
            {setup ? 'Set PIN' : 'Unlock'}
          </button>
        </div>
      </form>
    </div>
  );
}
