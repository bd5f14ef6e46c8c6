// Inspect (live): camera, hot folder or dropped files; the part with its heatmap, a large OK/NG verdict and latency.
import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useApp } from '../lib/app-context';
import { CameraPreview, useCameraApi } from '../lib/camera';
import { PartView } from '../components/PartView';
import { VerdictBanner } from '../components/VerdictBanner';
import { liveRate } from '../state/selectors';
import { formatScore, formatTime } from '../lib/format';
import type { LiveSource } from '../state/slices/inspect';

const SOURCES: { id: LiveSource; label: string }[] = [
  { id: 'camera', label: 'Camera' },
  { id: 'hotfolder', label: 'Hot folder' },
  { id: 'drop', label: 'Dropped files' },
];

export function InspectScreen() {
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
        <label className="row slider">
          Heatmap opacity
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={opacity}
            onChange={(e) => setOpacity(Number(e.target.value))}
            data-testid="opacity"
          />
          <span>{Math.round(opacity * 100)} %</span>
        </label>
      </div>
      <aside className="inspect-side">
        <div className="segmented" role="tablist">
          {SOURCES.map((s) => (
            <button
              key={s.id}
              type="button"
              role="tab"
              aria-selected={source === s.id}
              className={source === s.id ? 'active' : ''}
              onClick={() => setSource(s.id)}
              data-testid={`source-${s.id}`}
            >
              {s.label}
            </button>
          ))}
        </div>
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
      <label>
        Camera
        <select value={state.deviceId} onChange={(e) => cam.selectDevice(e.target.value)} data-testid="camera-device">
          {state.devices.length === 0 && <option value="">(no camera listed yet)</option>}
          {state.devices.map((d, i) => (
            <option key={d.deviceId || i} value={d.deviceId}>
              {d.label || `Camera ${i + 1}`}
            </option>
          ))}
        </select>
      </label>
      {/* In continuous mode the part view shows every scored frame; a second live video beside it would cost the
          window ~10 ms of CPU per part (software compositing) for nothing. Trigger mode needs it to aim. */}
      {mode === 'trigger' || !state.running ? (
        <CameraPreview stream={state.stream} />
      ) : (
        <p className="muted small" data-testid="preview-note">
          Continuous: the part view shows each frame as it is scored. Switch to trigger mode for a live preview.
        </p>
      )}
      <div className="row">
        {state.running ? (
          <button type="button" onClick={cam.stop} data-testid="camera-stop">
            Stop camera
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => void cam.start()} data-testid="camera-start">
            Start camera
          </button>
        )}
      </div>
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      <div className="segmented">
        <button type="button" className={mode === 'trigger' ? 'active' : ''} onClick={() => setMode('trigger')} data-testid="mode-trigger">
          Trigger
        </button>
        <button type="button" className={mode === 'continuous' ? 'active' : ''} onClick={() => setMode('continuous')} data-testid="mode-continuous">
          Continuous
        </button>
      </div>
      {mode === 'continuous' ? (
        <label className="row slider">
          Rate
          <input type="range" min={1} max={30} step={1} value={rate} onChange={(e) => setRate(Number(e.target.value))} data-testid="rate" />
          <span>{rate} fps</span>
        </label>
      ) : (
        <button type="button" className="primary big" disabled={!state.running} onClick={() => void scoreOne()} data-testid="trigger">
          Trigger (Space)
        </button>
      )}
    </div>
  );
}

function HotFolderControls() {
  const hot = useApp((s) => s.hotFolder);
  const start = useApp((s) => s.startHotFolder);
  const stop = useApp((s) => s.stopHotFolder);
  const refresh = useApp((s) => s.refreshHotFolder);
  const [dir, setDir] = useState(hot.dir ?? '');
  useEffect(() => {
    void refresh().catch(() => undefined);
  }, [refresh]);
  return (
    <div className="panel" data-testid="hotfolder-controls">
      <label>
        Folder watched for new images (on the workstation)
        <input value={dir} onChange={(e) => setDir(e.target.value)} placeholder="/data/line-camera/out" disabled={hot.running} data-testid="hotfolder-dir" />
      </label>
      <div className="row">
        {hot.running ? (
          <button type="button" onClick={() => void stop()} data-testid="hotfolder-stop">
            Stop watching
          </button>
        ) : (
          <button type="button" className="primary" disabled={!dir.trim()} onClick={() => void start(dir.trim())} data-testid="hotfolder-start">
            Watch folder
          </button>
        )}
      </div>
      <p className="muted small" data-testid="hotfolder-status">
        {hot.running ? `Watching ${hot.dir}: ${hot.processed} scored, ${hot.errors} unreadable` : 'Not watching.'}
      </p>
      {hot.lastError && (
        <p className="error small" data-testid="hotfolder-last-error">
          Last error: {hot.lastError}
        </p>
      )}
    </div>
  );
}

function DropControls() {
  const inspectFiles = useApp((s) => s.inspectFiles);
  return (
    <div className="panel drop-zone" data-testid="drop-controls">
      <p>Drop image files anywhere on this window, or pick them:</p>
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
  const { scored, dropped, recentAt } = useApp(useShallow((s) => ({ scored: s.scored, dropped: s.dropped, recentAt: s.recentAt })));
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const rate = liveRate(recentAt, now);
  return (
    <div className="stats-row" data-testid="live-stats">
      <div>
        <span className="stat" data-testid="scored">
          {scored}
        </span>
        scored
      </div>
      <div>
        <span className="stat" data-testid="dropped">
          {dropped}
        </span>
        dropped
      </div>
      <div>
        <span className="stat" data-testid="parts-per-second">
          {rate === null ? '–' : rate.toFixed(1)}
        </span>
        parts/s
      </div>
    </div>
  );
}

function Feed() {
  const feed = useApp((s) => s.feed);
  if (feed.length === 0) return null;
  return (
    <ul className="feed" data-testid="feed">
      {feed.map((f) => (
        <li key={f.key} className={f.kind === 'error' ? 'feed-error' : `feed-${f.verdict === 'NG' ? 'ng' : 'ok'}`} data-testid={`feed-${f.kind}`}>
          <span className="muted">{formatTime(f.at)}</span> <strong>{f.name}</strong>{' '}
          {f.kind === 'error' ? <span>{f.message}</span> : <span>{f.verdict} · {formatScore(f.score)}</span>}
        </li>
      ))}
    </ul>
  );
}
