import type { InspectionResult } from '../../../shared/domain';
import { verdictView } from '../state/selectors';
import { useFormat, useT } from '../i18n/hooks';

export function VerdictBanner({ result }: { result: InspectionResult | null }) {
  const t = useT();
  const f = useFormat();
  const v = verdictView(result);
  return (
    <div className={`verdict verdict-${v.tone}`} data-testid="verdict" data-verdict={v.text} role="status" aria-live="polite">
      <span className="verdict-text">{v.text}</span>
      <span className="verdict-facts">
        <span data-testid="latency">{result ? f.ms(result.latencyMs) : '–'}</span>
        <span>{t('verdict.score', { score: result ? f.score(result.normalizedScore) : '–' })}</span>
        {result && <span className="muted">{result.sourceName}</span>}
      </span>
    </div>
  );
}
