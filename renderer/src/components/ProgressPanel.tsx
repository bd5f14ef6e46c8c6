import type { Progress } from '../../../shared/domain';
import { progressFraction } from '../state/selectors';
import { useFormat, useT } from '../i18n/hooks';

interface Props {
  title: string;
  progress: Progress | null;
  onCancel: () => void;
  testId: string;
}

export function ProgressPanel({ title, progress, onCancel, testId }: Props) {
  const t = useT();
  const f = useFormat();
  const frac = progressFraction(progress);
  // Phases are the engine's words (extract, coreset, …): translated where known, shown as they are otherwise.
  const phase = progress ? t(`phase.${progress.phase}` as 'phase.extract', { defaultValue: progress.phase }) : '';
  const eta = progress ? (progress.etaSeconds === null || !Number.isFinite(progress.etaSeconds) ? t('format.etaEstimating') : t('format.etaLeft', { time: f.duration(progress.etaSeconds) })) : '';
  return (
    <div className="progress-panel" data-testid={testId}>
      <div className="progress-head">
        <strong>{title}</strong>
        <span className="muted">{progress ? t('progress.of', { phase, done: f.int(progress.done), total: f.int(progress.total) }) : t('common.starting')}</span>
        <span data-testid={`${testId}-eta`}>{eta}</span>
        <button type="button" className="danger" onClick={onCancel} data-testid={`${testId}-cancel`}>
          {t('common.cancel')}
        </button>
      </div>
      <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(frac * 100)}>
        <div className="progress-fill" style={{ width: `${(frac * 100).toFixed(1)}%` }} />
      </div>
      {progress?.message && <div className="muted small">{progress.message}</div>}
    </div>
  );
}
