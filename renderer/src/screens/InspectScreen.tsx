// Inspect (live): camera, hot folder or dropped files; the part with its heatmap, a large OK/NG verdict and latency.
import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useApp, usePick } from '../lib/app-context';
import { CameraPreview, useCameraApi } from '../lib/camera';
import { PartView } from '../components/PartView';
import { VerdictBanner } from '../components/VerdictBanner';
import { Field, SelectField, Segmented, TextField } from '../components/form';
import { liveRate } from '../state/selectors';
import { useFormat, useMsg, useT } from '../i18n/hooks';
import type { LiveSource } from '../state/slices/inspect';

const SOURCES: LiveSource[] = ['camera', 'hotfolder', 'drop'];

/** A labelled range input with its value shown beside it. */
function Slider({ label, min, max, step, value, onChange, shown, testId }: { label: string; min: number; max: number; step: number; value: number; onChange(v: number): void; shown: string; testId: string }) {
  return (
    <Field label={label} className="row slider">
      <input type="range" min={min} max={max} step={step} value={value} onChange={(e) => onChange(Number(e.target.value))} data-testid={testId} />
      <span>{shown}</span>
    </Field>
  );
}

export function InspectScreen() {
  const t = useT();
  const f = useFormat();
  const { source, current, opacity } = useApp(useShallow((s) => ({ source: s.source, current: s.current, opacity: s.opacity })));
  const setSource = useApp((s) => s.setSource);
  const setOpacity = useApp((s) => s.setOpacity);
  const size = useMemo(
    () => ({ width: current?.result.imageWidth ?? 640, height: current?.result.imageHeight ?? 480 }),
    [current?.result.imageWidth, current?.result.imageHeight],
  );

  return (
    <section className="screen inspect" data-testid="screen-inspect">
      <div className="inspect-main">
        <VerdictBanner result={current?.result ?? null} />
        <div className="part-frame">
          <PartView image={current?.image ?? null} heatmap={current?.result.heatmap ?? null} opacity={opacity} size={size} testId="live-part" />
        </div>
        <Slider label={t('inspect.opacity')} min={0} max={1} step={0.05} value={opacity} onChange={setOpacity} shown={f.percent(opacity, 0)} testId="opacity" />
      </div>
      <aside className="inspect-side">
        <Segmented tabs label={t('inspect.sources')} items={SOURCES.map((id) => ({ id, label: t(`inspect.source.${id}`), testId: `source-${id}` }))} value={source} onChange={setSource} />
        {source === 'camera' && <CameraControls />}
        {source === 'hotfolder' && <HotFolderControls />}
        {source === 'drop' && <DropControls />}
        <LiveStats />
        <Feed />
      </aside>
    </section>
  );
}

function CameraControls() {
  const t = useT();
  const text = useMsg();
  const f = useFormat();
  const cam = useCameraApi();
  const { mode, rate } = useApp(useShallow((s) => ({ mode: s.mode, rate: s.rate })));
  const setMode = useApp((s) => s.setMode);
  const setRate = useApp((s) => s.setRate);
  const { scoreOne, state } = cam;

  useEffect(() => {
    if (!state.running || mode !== 'trigger') return;
    const onKey = (e: KeyboardEvent) => {
      if (e.code === 'Space' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement)) {
        e.preventDefault();
        void scoreOne();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [state.running, mode, scoreOne]);

  return (
    <div className="panel" data-testid="camera-controls">
      <SelectField
        label={t('inspect.camera')}
        value={state.deviceId}
        onChange={cam.selectDevice}
        options={state.devices.map((d, i) => ({ value: d.deviceId, label: d.label || t('inspect.cameraN', { n: i + 1 }) }))}
        empty={t('inspect.noCamera')}
        testId="camera-device"
      />
      {/* In continuous mode the part view shows every scored frame; a second live video beside it would cost the
          window ~10 ms of CPU per part (software compositing) for nothing. Trigger mode needs it to aim. */}
      {mode === 'trigger' || !state.running ? (
        <CameraPreview stream={state.stream} />
      ) : (
        <p className="muted small" data-testid="preview-note">
          {t('inspect.previewNote')}
        </p>
      )}
      <div className="row">
        {state.running ? (
          <button type="button" onClick={cam.stop} data-testid="camera-stop">
            {t('inspect.stopCamera')}
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => void cam.start()} data-testid="camera-start">
            {t('inspect.startCamera')}
          </button>
        )}
      </div>
      {state.error && (
        <p className="error" role="alert">
          {text(state.error)}
        </p>
      )}
      <Segmented
        items={[
          { id: 'trigger', label: t('inspect.trigger'), testId: 'mode-trigger' },
          { id: 'continuous', label: t('inspect.continuous'), testId: 'mode-continuous' },
        ]}
        value={mode}
        onChange={setMode}
      />
      {mode === 'continuous' ? (
        <Slider label={t('inspect.rate')} min={1} max={30} step={1} value={rate} onChange={setRate} shown={`${f.int(rate)} fps`} testId="rate" />
      ) : (
        <button type="button" className="primary big" disabled={!state.running} onClick={() => void scoreOne()} data-testid="trigger">
          {t('inspect.triggerButton')}
        </button>
      )}
    </div>
  );
}

function HotFolderControls() {
  const t = useT();
  const { hotFolder: hot, startHotFolder: start, stopHotFolder: stop, refreshHotFolder: refresh } = usePick('hotFolder', 'startHotFolder', 'stopHotFolder', 'refreshHotFolder');
  const [dir, setDir] = useState(hot.dir ?? '');
  useEffect(() => {
    void refresh().catch(() => undefined);
  }, [refresh]);
  return (
    <div className="panel" data-testid="hotfolder-controls">
      <TextField label={t('inspect.hotFolderLabel')} value={dir} onChange={setDir} placeholder={t('inspect.hotFolderPlaceholder')} disabled={hot.running} testId="hotfolder-dir" />
      <div className="row">
        {hot.running ? (
          <button type="button" onClick={() => void stop()} data-testid="hotfolder-stop">
            {t('inspect.stopWatching')}
          </button>
        ) : (
          <button type="button" className="primary" disabled={!dir.trim()} onClick={() => void start(dir.trim())} data-testid="hotfolder-start">
            {t('inspect.watch')}
          </button>
        )}
      </div>
      <p className="muted small" data-testid="hotfolder-status">
        {hot.running ? t('inspect.watching', { dir: hot.dir, processed: hot.processed, errors: hot.errors }) : t('inspect.notWatching')}
      </p>
      {hot.lastError && (
        <p className="error small" data-testid="hotfolder-last-error">
          {t('inspect.lastError', { message: hot.lastError })}
        </p>
      )}
    </div>
  );
}

function DropControls() {
  const t = useT();
  const inspectFiles = useApp((s) => s.inspectFiles);
  return (
    <div className="panel drop-zone" data-testid="drop-controls">
      <p>{t('inspect.dropHint')}</p>
      <input
        type="file"
        accept="image/png,image/jpeg,image/bmp,image/tiff,image/webp"
        multiple
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          void inspectFiles(files);
        }}
        data-testid="file-input"
      />
    </div>
  );
}

function LiveStats() {
  const t = useT();
  const f = useFormat();
  const { scored, dropped, recentAt } = useApp(useShallow((s) => ({ scored: s.scored, dropped: s.dropped, recentAt: s.recentAt })));
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const rate = liveRate(recentAt, now);
  const stats: [string, string, string][] = [
    ['scored', f.int(scored), t('inspect.scored')],
    ['dropped', f.int(dropped), t('inspect.dropped')],
    ['parts-per-second', f.decimal(rate, 1), t('inspect.perSecond')],
  ];
  return (
    <div className="stats-row" data-testid="live-stats">
      {stats.map(([id, value, label]) => (
        <div key={id}>
          <span className="stat" data-testid={id}>
            {value}
          </span>
          {label}
        </div>
      ))}
    </div>
  );
}

function Feed() {
  const f = useFormat();
  const text = useMsg();
  const feed = useApp((s) => s.feed);
  if (feed.length === 0) return null;
  return (
    <ul className="feed" data-testid="feed">
      {feed.map((e) => (
        <li key={e.key} className={e.kind === 'error' ? 'feed-error' : `feed-${e.verdict === 'NG' ? 'ng' : 'ok'}`} data-testid={`feed-${e.kind}`}>
          <span className="muted">{f.time(e.at)}</span> <strong>{e.name}</strong>{' '}
          {e.kind === 'error' ? <span>{text(e.message)}</span> : <span>{e.verdict} · {f.score(e.score)}</span>}
        </li>
      ))}
    </ul>
  );
}
