import { useEffect } from 'react';
import { useApp } from '../lib/app-context';
import { useMsg } from '../i18n/hooks';

export function Toasts() {
  const text = useMsg();
  const toasts = useApp((s) => s.toasts);
  const dismiss = useApp((s) => s.dismiss);
  useEffect(() => {
    if (toasts.length === 0) return;
    const oldest = toasts[0];
    const timer = setTimeout(() => dismiss(oldest.id), oldest.tone === 'error' ? 8000 : 4000);
    return () => clearTimeout(timer);
  }, [toasts, dismiss]);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((m) => (
        <div key={m.id} className={`toast toast-${m.tone}`} data-testid={`toast-${m.tone}`} onClick={() => dismiss(m.id)}>
          {text(m.text)}
        </div>
      ))}
    </div>
  );
}
