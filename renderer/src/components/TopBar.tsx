import { useTranslation } from 'react-i18next';
import { useApp, usePick } from '../lib/app-context';
import { useSoundOnNG } from '../lib/alerts';
import { LANGUAGES, setLanguage, type Language } from '../i18n';
import { useLanguage, useT } from '../i18n/hooks';
import { Segmented } from './form';
import type { Screen } from '../state/slices/ui';

const SCREENS: Screen[] = ['inspect', 'dashboard', 'models', 'thresholds', 'review', 'settings'];

export function TopBar() {
  const t = useT();
  const { i18n } = useTranslation();
  const language = useLanguage();
  const { screen, go, auth, openPin, lock } = usePick('screen', 'go', 'auth', 'openPin', 'lock');
  const active = useApp((s) => s.models.find((m) => m.active) ?? null);
  const connection = useApp((s) => s.connection);
  const [sound, setSound] = useSoundOnNG();
  const engineer = auth?.role === 'engineer';
  return (
    <header className="topbar">
      <div className="brand">PatchLine</div>
      <nav aria-label={t('nav.screens')}>
        <Segmented className="tabs" items={SCREENS.map((id) => ({ id, label: t(`nav.${id}`), testId: `nav-${id}` }))} value={screen} onChange={go} />
      </nav>
      <div className="topbar-right">
        <span className="muted" data-testid="active-model">
          {active ? t('topbar.model', { name: active.name }) : t('topbar.noModel')}
        </span>
        {connection.state === 'closed' && (
          <span className="badge badge-ng" data-testid="disconnected" title={connection.reason ?? ''}>
            {t('topbar.disconnected')}
          </span>
        )}
        <button type="button" className={sound ? 'sound on' : 'sound'} aria-pressed={sound} title={t('topbar.soundTitle')} onClick={() => setSound(!sound)} data-testid="sound-toggle">
          {sound ? t('topbar.soundOn') : t('topbar.soundOff')}
        </button>
        <select aria-label={t('language.label')} value={language} onChange={(e) => void setLanguage(i18n, e.target.value as Language)} data-testid="language">
          {LANGUAGES.map((l) => (
            <option key={l} value={l}>
              {t(`language.${l}`)}
            </option>
          ))}
        </select>
        <span className={engineer ? 'badge badge-engineer' : 'badge'} data-testid="role">
          {engineer ? t('topbar.engineer') : t('topbar.operator')}
        </span>
        {engineer ? (
          <button type="button" onClick={() => void lock()} data-testid="lock">
            {t('topbar.lock')}
          </button>
        ) : (
          <button type="button" onClick={() => openPin(auth?.pinSet === false ? 'setup' : 'unlock')} data-testid="unlock">
            {t('topbar.unlock')}
          </button>
        )}
      </div>
    </header>
  );
}
