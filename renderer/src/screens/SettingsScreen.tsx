// Settings: what the station tells the line (MQTT, OPC UA, Modbus TCP, the HTTP results API), the hot folder's
// OK/NG sorting, how long part images are kept, and the NG alert. One switch per output; every change applies at
// once (main starts or stops the output) and needs the engineer PIN, except the operator's NG sound.
import { useEffect, useState, type ReactNode } from 'react';
import { useApp, usePick } from '../lib/app-context';
import { Facts, TextField, type Fact } from '../components/form';
import { sectionDraft, sectionPatch, type SectionDraft } from '../state/selectors';
import { useSoundOnNG } from '../lib/alerts';
import { useFormat, useT } from '../i18n/hooks';
import { msg, type MessageKey } from '../i18n/message';
import type { OutputStatus, StationSettings } from '../../../shared/settings';

type Section = 'mqtt' | 'opcua' | 'modbus' | 'http' | 'sort' | 'retention';

interface FieldDef {
  key: string;
  kind: 'text' | 'number' | 'check';
}

const FIELDS: Record<Section, FieldDef[]> = {
  mqtt: [
    { key: 'url', kind: 'text' },
    { key: 'topic', kind: 'text' },
  ],
  opcua: [{ key: 'port', kind: 'number' }],
  modbus: [{ key: 'port', kind: 'number' }],
  http: [
    { key: 'port', kind: 'number' },
    { key: 'host', kind: 'text' },
  ],
  sort: [
    { key: 'okDir', kind: 'text' },
    { key: 'ngDir', kind: 'text' },
    { key: 'errorDir', kind: 'text' },
    { key: 'sidecar', kind: 'check' },
  ],
  retention: [
    { key: 'keepDays', kind: 'number' },
    { key: 'maxGB', kind: 'number' },
    { key: 'minFreeGB', kind: 'number' },
  ],
};

/** How often the outputs' status is asked for while the screen is open. */
const STATUS_EVERY_MS = 2000;

export function SettingsScreen() {
  const t = useT();
  const f = useFormat();
  const { stationSettings: settings, stationStatus: status, loadStationSettings, refreshStationStatus, notify } = usePick('stationSettings', 'stationStatus', 'loadStationSettings', 'refreshStationStatus', 'notify');

  useEffect(() => {
    loadStationSettings().catch((e: Error) => notify('error', { key: 'errors.other', values: { message: e.message } }));
    const poll = () => void refreshStationStatus().catch(() => undefined);
    poll();
    const timer = setInterval(poll, STATUS_EVERY_MS);
    return () => clearInterval(timer);
  }, [loadStationSettings, refreshStationStatus, notify]);

  if (!settings) {
    return (
      <section className="screen settings" data-testid="screen-settings">
        <p className="panel muted">{t('settings.loading')}</p>
      </section>
    );
  }
  return (
    <section className="screen settings" data-testid="screen-settings">
      <p className="muted">{t('settings.intro')}</p>
      <div className="settings-grid">
        <SectionForm section="mqtt" settings={settings} status={status?.mqtt} extra={status ? [{ label: t('settings.mqtt.queued'), value: `${status.mqtt.queued} / ${status.mqtt.published}`, testId: 'settings-mqtt-queued' }] : []} />
        <SectionForm section="opcua" settings={settings} status={status?.opcua} />
        <SectionForm section="modbus" settings={settings} status={status?.modbus} />
        <SectionForm section="http" settings={settings} status={status?.http}>
          <HttpToken />
        </SectionForm>
        <SectionForm section="sort" settings={settings} status={status ? sortStatus(status.sorting) : undefined} extra={status ? [{ label: t('settings.sort.pending'), value: String(status.sorting.pending) }] : []} />
        <SectionForm
          section="retention"
          settings={settings}
          extra={
            status
              ? [
                  { label: t('settings.retention.free'), value: f.bytes(status.disk.freeBytes), testId: 'settings-disk-free' },
                  { label: t('settings.retention.images'), value: f.bytes(status.disk.imagesBytes) },
                  ...(status.disk.warning ? [{ label: t('settings.error'), value: status.disk.warning, className: 'mono error', testId: 'settings-disk-warning' }] : []),
                ]
              : []
          }
        />
        <AlertsPanel />
      </div>
    </section>
  );
}

function sortStatus(s: { enabled: boolean; halted: string | null }): OutputStatus {
  return { state: !s.enabled ? 'off' : s.halted ? 'error' : 'running', endpoint: null, error: s.halted };
}

function SectionForm({ section, settings, status, extra = [], children }: { section: Section; settings: StationSettings; status?: OutputStatus; extra?: Fact[]; children?: ReactNode }) {
  const t = useT();
  const { saveStationSettings: save, notify } = usePick('saveStationSettings', 'notify');
  const current = settings[section] as Record<string, string | number | boolean>;
  const [draft, setDraft] = useState<SectionDraft>(() => sectionDraft(current));
  const [busy, setBusy] = useState(false);
  const saved = JSON.stringify(current);
  // A save (here or by another window) replaces the draft with what main kept.
  useEffect(() => setDraft(sectionDraft(JSON.parse(saved) as Record<string, string | number | boolean>)), [saved]);

  // Every key is in FIELDS, and the zh-CN test renders each label: a missing text would show as its key.
  const label = (key: string): string => t(`settings.${section}.${key}` as MessageKey);
  const apply = async (next: SectionDraft): Promise<boolean> => {
    const { patch, invalid } = sectionPatch(current, next);
    if (invalid.length) {
      notify('error', msg('settings.notANumber', { field: label(invalid[0]) }));
      return false;
    }
    if (Object.keys(patch).length === 0) return true;
    setBusy(true);
    try {
      return await save({ [section]: patch });
    } finally {
      setBusy(false);
    }
  };
  // The switch moves at once; if main does not take the change (refused, or the PIN dialog was cancelled) it moves back.
  const toggle = async (on: boolean) => {
    setDraft((d) => ({ ...d, enabled: on }));
    if (!(await apply({ ...draft, enabled: on }))) setDraft((d) => ({ ...d, enabled: current.enabled === true }));
  };
  const pending = sectionPatch(current, draft);
  const dirty = Object.keys(pending.patch).length > 0 || pending.invalid.length > 0;
  const switchable = typeof current.enabled === 'boolean';
  const facts: Fact[] = [
    ...(status
      ? [
          { label: t('settings.state'), value: t(`settings.states.${status.state}`), testId: `settings-${section}-state` },
          ...(status.endpoint ? [{ label: t('settings.endpoint'), value: status.endpoint, className: 'mono', testId: `settings-${section}-endpoint` }] : []),
          ...(status.error ? [{ label: t('settings.error'), value: status.error, className: 'mono error', testId: `settings-${section}-error` }] : []),
        ]
      : []),
    ...extra,
  ];

  return (
    <form
      className="panel settings-section"
      data-testid={`settings-${section}`}
      onSubmit={(e) => {
        e.preventDefault();
        void apply(draft);
      }}
    >
      <div className="row">
        <h3 className="grow">{t(`settings.${section}.title` as const)}</h3>
        {switchable && (
          <label className="switch">
            <input
              type="checkbox"
              checked={draft.enabled === true}
              disabled={busy}
              onChange={(e) => void toggle(e.target.checked)}
              data-testid={`settings-${section}-enabled`}
            />
            {t(draft.enabled ? 'settings.on' : 'settings.off')}
          </label>
        )}
      </div>
      <p className="muted small">{t(`settings.${section}.help`)}</p>
      {FIELDS[section].map((fd) =>
        fd.kind === 'check' ? (
          <label key={fd.key} className="check">
            <input type="checkbox" checked={draft[fd.key] === true} onChange={(e) => setDraft({ ...draft, [fd.key]: e.target.checked })} data-testid={`settings-${section}-${fd.key}`} />
            {label(fd.key)}
          </label>
        ) : (
          <TextField
            key={fd.key}
            label={label(fd.key)}
            value={String(draft[fd.key] ?? '')}
            onChange={(v) => setDraft({ ...draft, [fd.key]: v })}
            inputMode={fd.kind === 'number' ? 'decimal' : 'text'}
            testId={`settings-${section}-${fd.key}`}
          />
        ),
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={busy || !dirty} data-testid={`settings-${section}-apply`}>
          {t('settings.apply')}
        </button>
        <button type="button" disabled={busy || !dirty} onClick={() => setDraft(sectionDraft(current))}>
          {t('settings.revert')}
        </button>
      </div>
      {facts.length > 0 && <Facts rows={facts} />}
      {children}
    </form>
  );
}

function HttpToken() {
  const t = useT();
  const { httpToken, revealHttpToken } = usePick('httpToken', 'revealHttpToken');
  const engineer = useApp((s) => s.auth?.role === 'engineer');
  // The token is shown to an engineer only, and hidden again when the PIN lock comes back.
  const token = engineer ? httpToken : null;
  return (
    <div className="row">
      <span className="muted small">{t('settings.http.tokenHelp')}</span>
      {token ? (
        <code className="mono" data-testid="settings-http-token">
          {token}
        </code>
      ) : (
        <button type="button" onClick={() => void revealHttpToken()} data-testid="settings-http-reveal">
          {t('settings.http.showToken')}
        </button>
      )}
    </div>
  );
}

function AlertsPanel() {
  const t = useT();
  const [on, setSound] = useSoundOnNG();
  return (
    <div className="panel settings-section" data-testid="settings-alerts">
      <h3>{t('settings.alerts.title')}</h3>
      <label className="check">
        <input type="checkbox" checked={on} onChange={(e) => setSound(e.target.checked)} data-testid="settings-alerts-soundOnNG" />
        {t('settings.alerts.soundOnNG')}
      </label>
      <p className="muted small">{t('settings.alerts.help')}</p>
    </div>
  );
}
