// Review: flagged parts filtered by date, verdict, score and model; each with image, heatmap and score; the reviewer
// labels true defect or false alarm (with a note); confirmed false alarms can be added to the memory bank as good.
import { useEffect, useState } from 'react';
import { useApp } from '../lib/app-context';
import { useRecordImage } from '../lib/use-record-image';
import { downloadText } from '../lib/download';
import { exportPeriod } from '../state/selectors';
import { REVIEW_PAGE } from '../state/slices/review';
import { formatDateTime, formatMs, formatScore, msToLocalDate } from '../lib/format';
import type { InspectionRecord } from '../../../shared/domain';

export function ReviewScreen() {
  const items = useApp((s) => s.reviewItems);
  const total = useApp((s) => s.reviewTotal);
  const page = useApp((s) => s.reviewPage);
  const search = useApp((s) => s.searchReview);
  const selectedId = useApp((s) => s.selectedRecordId);
  const select = useApp((s) => s.selectRecord);
  const refreshModels = useApp((s) => s.refreshModels);
  const selected = items.find((r) => r.id === selectedId) ?? null;

  useEffect(() => {
    void search(0);
    void refreshModels().catch(() => undefined);
  }, [search, refreshModels]);

  return (
    <section className="screen review" data-testid="screen-review">
      <Filters />
      <div className="review-body">
        <div className="gallery" data-testid="gallery">
          {items.length === 0 && <p className="muted">No parts match.</p>}
          {items.map((r) => (
            <Thumb key={r.id} rec={r} selected={r.id === selectedId} onClick={() => select(r.id)} />
          ))}
          <div className="row pager">
            <button type="button" disabled={page === 0} onClick={() => void search(page - 1)}>
              ‹ Newer
            </button>
            <span className="muted small" data-testid="review-total">
              {total} part(s) · page {page + 1} of {Math.max(1, Math.ceil(total / REVIEW_PAGE))}
            </span>
            <button type="button" disabled={(page + 1) * REVIEW_PAGE >= total} onClick={() => void search(page + 1)}>
              Older ›
            </button>
          </div>
        </div>
        {selected && <Detail rec={selected} />}
      </div>
    </section>
  );
}

function Filters() {
  const f = useApp((s) => s.reviewFilter);
  const set = useApp((s) => s.setReviewFilter);
  const search = useApp((s) => s.searchReview);
  const models = useApp((s) => s.models);
  const exportCsv = useApp((s) => s.exportCsv);
  const period = exportPeriod(f.from || msToLocalDate(Date.now() - 7 * 86_400_000), f.to || msToLocalDate(Date.now()));
  return (
    <form
      className="panel filters"
      onSubmit={(e) => {
        e.preventDefault();
        void search(0);
      }}
      data-testid="review-filters"
    >
      <label>
        From
        <input type="date" value={f.from} onChange={(e) => set({ from: e.target.value })} data-testid="filter-from" />
      </label>
      <label>
        To
        <input type="date" value={f.to} onChange={(e) => set({ to: e.target.value })} data-testid="filter-to" />
      </label>
      <label>
        Verdict
        <select value={f.verdict} onChange={(e) => set({ verdict: e.target.value as typeof f.verdict })} data-testid="filter-verdict">
          <option value="NG">NG (flagged)</option>
          <option value="OK">OK</option>
          <option value="">any</option>
        </select>
      </label>
      <label>
        Score ≥ (× threshold)
        <input value={f.scoreMin} onChange={(e) => set({ scoreMin: e.target.value })} inputMode="decimal" size={6} data-testid="filter-score-min" />
      </label>
      <label>
        Score ≤
        <input value={f.scoreMax} onChange={(e) => set({ scoreMax: e.target.value })} inputMode="decimal" size={6} data-testid="filter-score-max" />
      </label>
      <label>
        Model
        <select value={f.modelId} onChange={(e) => set({ modelId: e.target.value })} data-testid="filter-model">
          <option value="">any</option>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Label
        <select value={f.label} onChange={(e) => set({ label: e.target.value as typeof f.label })} data-testid="filter-label">
          <option value="">any</option>
          <option value="unlabelled">not reviewed</option>
          <option value="true_defect">true defect</option>
          <option value="false_alarm">false alarm</option>
        </select>
      </label>
      <button type="submit" className="primary" data-testid="filter-apply">
        Show
      </button>
      <button
        type="button"
        disabled={!period}
        title="Export the records of the period (From–To, default: the last 7 days) as CSV"
        onClick={() => {
          if (!period) return;
          void exportCsv(period).then((r) => r && downloadText(r.filename, r.csv));
        }}
        data-testid="export-csv"
      >
        Export CSV
      </button>
    </form>
  );
}

function Thumb({ rec, selected, onClick }: { rec: InspectionRecord; selected: boolean; onClick: () => void }) {
  const img = useRecordImage(rec.id, 'image');
  const heat = useRecordImage(rec.id, 'heatmap');
  return (
    <button type="button" className={selected ? 'thumb selected' : 'thumb'} onClick={onClick} data-testid="review-item" data-record-id={rec.id}>
      <span className="overlay-box">
        {img && <img src={img} alt="" />}
        {heat && <img src={heat} alt="" className="heat" />}
      </span>
      <span className={`chip chip-${rec.verdict === 'NG' ? 'ng' : 'ok'}`}>{rec.verdict}</span>
      <span className="small">{formatScore(rec.normalizedScore)} ×</span>
      <span className="muted small">{formatDateTime(rec.at)}</span>
      {rec.reviewLabel && <span className="chip">{rec.reviewLabel === 'true_defect' ? 'defect' : 'false alarm'}</span>}
    </button>
  );
}

function Detail({ rec }: { rec: InspectionRecord }) {
  const img = useRecordImage(rec.id, 'image');
  const heat = useRecordImage(rec.id, 'heatmap');
  const label = useApp((s) => s.labelRecord);
  const addToBank = useApp((s) => s.addFalseAlarmsToBank);
  const [note, setNote] = useState(rec.reviewNote ?? '');
  const [opacity, setOpacity] = useState(0.5);
  useEffect(() => setNote(rec.reviewNote ?? ''), [rec.id, rec.reviewNote]);
  return (
    <div className="panel detail" data-testid="review-detail">
      <div className="overlay-box large">
        {img && <img src={img} alt={`part ${rec.id}`} data-testid="detail-image" />}
        {heat && <img src={heat} alt="" className="heat" style={{ opacity }} data-testid="detail-heatmap" />}
      </div>
      <label className="row slider">
        Heatmap
        <input type="range" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} />
      </label>
      <dl className="facts">
        <dt>Part</dt>
        <dd>
          #{rec.id} · {rec.sourceName} ({rec.source})
        </dd>
        <dt>Verdict</dt>
        <dd className={rec.verdict === 'NG' ? 'ng-text' : 'ok-text'} data-testid="detail-verdict">
          {rec.verdict}
        </dd>
        <dt>Score</dt>
        <dd data-testid="detail-score">
          {formatScore(rec.score)} (threshold {formatScore(rec.threshold)}, {formatScore(rec.normalizedScore)} ×)
        </dd>
        <dt>When</dt>
        <dd>
          {formatDateTime(rec.at)} · {formatMs(rec.latencyMs)}
        </dd>
        <dt>Model</dt>
        <dd>{rec.modelId}</dd>
        <dt>Review</dt>
        <dd data-testid="detail-label">
          {rec.reviewLabel ? `${rec.reviewLabel === 'true_defect' ? 'true defect' : 'false alarm'} by ${rec.reviewedBy}` : 'not reviewed'}
          {rec.addedToBank ? ' · added to the bank' : ''}
        </dd>
      </dl>
      <label>
        Note
        <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={2000} data-testid="review-note" />
      </label>
      <div className="row">
        <button type="button" className="danger" onClick={() => void label(rec.id, 'true_defect', note)} data-testid="label-defect">
          True defect
        </button>
        <button type="button" className="primary" onClick={() => void label(rec.id, 'false_alarm', note)} data-testid="label-false-alarm">
          False alarm
        </button>
      </div>
      {rec.reviewLabel === 'false_alarm' && !rec.addedToBank && (
        <button type="button" onClick={() => void addToBank([rec.id])} data-testid="add-to-bank">
          Add to memory bank as good (engineer)
        </button>
      )}
    </div>
  );
}
