import type { InspectionResult } from '../../../shared/domain';
import { verdictView } from '../state/selectors';
import { formatMs, formatScore } from '../lib/format';

export function VerdictBanner({ result }: { result: InspectionResult | null }) {
  const v = verdictView(result);
  return (
    <div className={`verdict verdict-${v.tone}`} data-testid="verdict" data-verdict={v.text} role="status" aria-live="polite">
      <span className="verdict-text">{v.text}</span>
      <span className="verdict-facts">
        <span data-testid="latency">{result ? formatMs(result.latencyMs) : '–'}</span>
        <span>score {result ? formatScore(result.normalizedScore) : '–'} × threshold</span>
        {result && <span className="muted">{result.sourceName}</span>}
      </span>
    </div>
  );
}
