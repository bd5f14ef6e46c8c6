import type { Progress } from '../../../shared/domain';
import { progressFraction } from '../state/selectors';
import { formatEta, formatInt } from '../lib/format';

interface Props {
  title: string;
  progress: Progress | null;
  onCancel: () => void;
  testId: string;
}

export function ProgressPanel({ title, progress, onCancel, testId }: Props) {
  const f = progressFraction(progress);
  return (
    <div className="progress-panel" data-testid={testId}>
      <div className="progress-head">
        <strong>{title}</strong>
        <span className="muted">
          {progress ? `${progress.phase} ${formatInt(progress.done)} / ${formatInt(progress.total)}` : 'starting…'}
        </span>
        <span data-testid={`${testId}-eta`}>{progress ? formatEta(progress.etaSeconds) : ''}</span>
        <button type="button" className="danger" onClick={onCancel} data-testid={`${testId}-cancel`}>
          Cancel
        </button>
      </div>
      <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(f * 100)}>
        <div className="progress-fill" style={{ width: `${(f * 100).toFixed(1)}%` }} />
      </div>
      {progress?.message && <div className="muted small">{progress.message}</div>}
    </div>
  );
}
