// Beeps on every new NG part while alerts.soundOnNG is on. Renders nothing.
import { useEffect, useRef } from 'react';
import { useApp } from '../lib/app-context';
import { beep, NgAlerter, useSoundOnNG } from '../lib/alerts';

export function NgAlert() {
  const [on] = useSoundOnNG();
  const last = useApp((s) => s.lastResult);
  const alerter = useRef<NgAlerter | null>(null);
  useEffect(() => {
    alerter.current ??= new NgAlerter(beep);
    alerter.current.onResult(last, on, performance.now());
  }, [last, on]);
  return null;
}
