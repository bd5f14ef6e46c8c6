import { useApp } from '../lib/app-context';
import type { Screen } from '../state/slices/ui';

const SCREENS: { id: Screen; label: string }[] = [
  { id: 'inspect', label: 'Inspect' },
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'models', label: 'Models' },
  { id: 'thresholds', label: 'Thresholds' },
  { id: 'review', label: 'Review' },
];

export function TopBar() {
  const screen = useApp((s) => s.screen);
  const go = useApp((s) => s.go);
  const auth = useApp((s) => s.auth);
  const openPin = useApp((s) => s.openPin);
  const lock = useApp((s) => s.lock);
  const active = useApp((s) => s.models.find((m) => m.active) ?? null);
  const connection = useApp((s) => s.connection);
  const engineer = auth?.role === 'engineer';
  return (
    <header className="topbar">
      <div className="brand">PatchLine</div>
      <nav className="tabs" aria-label="Screens">
        {SCREENS.map((s) => (
          <button key={s.id} type="button" className={screen === s.id ? 'tab active' : 'tab'} onClick={() => go(s.id)} data-testid={`nav-${s.id}`}>
            {s.label}
          </button>
        ))}
      </nav>
      <div className="topbar-right">
        <span className="muted" data-testid="active-model">
          {active ? `Model: ${active.name}` : 'No model loaded'}
        </span>
        {connection.state === 'closed' && (
          <span className="badge badge-ng" data-testid="disconnected" title={connection.reason ?? ''}>
            Disconnected
          </span>
        )}
        <span className={engineer ? 'badge badge-engineer' : 'badge'} data-testid="role">
          {engineer ? 'Engineer' : 'Operator'}
        </span>
        {engineer ? (
          <button type="button" onClick={() => void lock()} data-testid="lock">
            Lock
          </button>
        ) : (
          <button type="button" onClick={() => openPin(auth?.pinSet === false ? 'setup' : 'unlock')} data-testid="unlock">
            Engineer…
          </button>
        )}
      </div>
    </header>
  );
}
