// Review: flagged parts filtered by date, verdict, score and model; each with image, heatmap and score; the reviewer
// labels true defect or false alarm (with a note); confirmed false alarms can be added to the memory bank as good.
import { useEffect, useState } from 'react';
import { useApp, usePick } from '../lib/app-context';
import { useRecordImage } from '../lib/use-record-image';
import { downloadText } from '../lib/download';
import { exportPeriod } from '../state/selectors';
import { REVIEW_PAGE } from '../state/slices/review';
import { msToLocalDate } from '../lib/format';
import { Facts, Field, SelectField, TextField } from '../components/form';
import { useFormat, useT } from '../i18n/hooks';
import type { InspectionRecord, ReviewLabel } from '../../../shared/domain';
import type { TFunction } from 'i18next';

const labelText = (t: TFunction, l: ReviewLabel) => (l === 'true_defect' ? t('review.trueDefect') : t('review.falseAlarm'));

export function ReviewScreen() {
  const t = useT();
  const { reviewItems: items, reviewTotal: total, reviewPage: page, searchReview: search, selectedRecordId: selectedId, selectRecord: select, refreshModels } = usePick('reviewItems', 'reviewTotal', 'reviewPage', 'searchReview', 'selectedRecordId', 'selectRecord', 'refreshModels');
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
          {items.length === 0 && <p className="muted">{t('review.none')}</p>}
          {items.map((r) => (
            <Thumb key={r.id} rec={r} selected={r.id === selectedId} onClick={() => select(r.id)} />
          ))}
          <div className="row pager">
            <button type="button" disabled={page === 0} onClick={() => void search(page - 1)}>
              {t('review.newer')}
            </button>
            <span className="muted small" data-testid="review-total">
              {t('review.total', { total, page: page + 1, pages: Math.max(1, Math.ceil(total / REVIEW_PAGE)) })}
            </span>
            <button type="button" disabled={(page + 1) * REVIEW_PAGE >= total} onClick={() => void search(page + 1)}>
              {t('review.older')}
            </button>
          </div>
        </div>
        {selected && <Detail rec={selected} />}
      </div>
    </section>
  );
}

function Filters() {
  const t = useT();
  const { reviewFilter: f, setReviewFilter: set, searchReview: search, models, exportCsv } = usePick('reviewFilter', 'setReviewFilter', 'searchReview', 'models', 'exportCsv');
  const period = exportPeriod(f.from || msToLocalDate(Date.now() - 7 * 86_400_000), f.to || msToLocalDate(Date.now()));
  const any = { value: '', label: t('common.any') };
  return (
    <form
      className="panel filters"
      onSubmit={(e) => {
        e.preventDefault();
        void search(0);
      }}
      data-testid="review-filters"
    >
      <TextField type="date" label={t('review.from')} value={f.from} onChange={(from) => set({ from })} testId="filter-from" />
      <TextField type="date" label={t('review.to')} value={f.to} onChange={(to) => set({ to })} testId="filter-to" />
      <SelectField
        label={t('review.verdict')}
        value={f.verdict}
        onChange={(v) => set({ verdict: v as typeof f.verdict })}
        options={[{ value: 'NG', label: t('review.ngFlagged') }, { value: 'OK', label: 'OK' }, any]}
        testId="filter-verdict"
      />
      <TextField label={t('review.scoreMin')} value={f.scoreMin} onChange={(scoreMin) => set({ scoreMin })} inputMode="decimal" size={6} testId="filter-score-min" />
      <TextField label={t('review.scoreMax')} value={f.scoreMax} onChange={(scoreMax) => set({ scoreMax })} inputMode="decimal" size={6} testId="filter-score-max" />
      <SelectField label={t('review.model')} value={f.modelId} onChange={(modelId) => set({ modelId })} options={[any, ...models.map((m) => ({ value: m.id, label: m.name }))]} testId="filter-model" />
      <SelectField
        label={t('review.label')}
        value={f.label}
        onChange={(v) => set({ label: v as typeof f.label })}
        options={[any, { value: 'unlabelled', label: t('review.unlabelled') }, { value: 'true_defect', label: t('review.trueDefect') }, { value: 'false_alarm', label: t('review.falseAlarm') }]}
        testId="filter-label"
      />
      <button type="submit" className="primary" data-testid="filter-apply">
        {t('review.show')}
      </button>
      <button
        type="button"
        disabled={!period}
        title={t('review.exportTitle')}
        onClick={() => {
          if (!period) return;
          void exportCsv(period).then((r) => r && downloadText(r.filename, r.csv));
        }}
        data-testid="export-csv"
      >
        {t('review.export')}
      </button>
    </form>
  );
}

function Thumb({ rec, selected, onClick }: { rec: InspectionRecord; selected: boolean; onClick: () => void }) {
  const t = useT();
  const f = useFormat();
  const img = useRecordImage(rec.id, 'image');
  const heat = useRecordImage(rec.id, 'heatmap');
  return (
    <button type="button" className={selected ? 'thumb selected' : 'thumb'} onClick={onClick} data-testid="review-item" data-record-id={rec.id}>
      <span className="overlay-box">
        {img && <img src={img} alt="" />}
        {heat && <img src={heat} alt="" className="heat" />}
      </span>
      <span className={`chip chip-${rec.verdict === 'NG' ? 'ng' : 'ok'}`}>{rec.verdict}</span>
      <span className="small">{f.score(rec.normalizedScore)} ×</span>
      <span className="muted small">{f.dateTime(rec.at)}</span>
      {rec.reviewLabel && <span className="chip">{rec.reviewLabel === 'true_defect' ? t('review.defectChip') : t('review.falseAlarm')}</span>}
    </button>
  );
}

export function Detail({ rec }: { rec: InspectionRecord }) {
  const t = useT();
  const f = useFormat();
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
        {img && <img src={img} alt={t('review.partAlt', { id: rec.id })} data-testid="detail-image" />}
        {heat && <img src={heat} alt="" className="heat" style={{ opacity }} data-testid="detail-heatmap" />}
      </div>
      <Field label={t('review.heatmap')} className="row slider">
        <input type="range" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} />
      </Field>
      <Facts
        rows={[
          { label: t('review.part'), value: t('review.partInfo', { id: rec.id, name: rec.sourceName, source: t(`review.source.${rec.source}`, { defaultValue: rec.source }) }) },
          { label: t('review.verdict'), value: rec.verdict, className: rec.verdict === 'NG' ? 'ng-text' : 'ok-text', testId: 'detail-verdict' },
          { label: t('review.score'), value: t('review.scoreInfo', { score: f.score(rec.score), threshold: f.score(rec.threshold), normalized: f.score(rec.normalizedScore) }), testId: 'detail-score' },
          { label: t('review.when'), value: `${f.dateTime(rec.at)} · ${f.ms(rec.latencyMs)}` },
          { label: t('review.model'), value: rec.modelId },
          {
            label: t('review.review'),
            value: `${rec.reviewLabel ? t('review.reviewedBy', { label: labelText(t, rec.reviewLabel), who: t(`models.roleName.${rec.reviewedBy ?? 'operator'}`, { defaultValue: rec.reviewedBy ?? '' }) }) : t('review.notReviewed')}${rec.addedToBank ? t('review.addedToBank') : ''}`,
            testId: 'detail-label',
          },
        ]}
      />
      <Field label={t('review.note')}>
        <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={2000} data-testid="review-note" />
      </Field>
      <div className="row">
        <button type="button" className="danger" onClick={() => void label(rec.id, 'true_defect', note)} data-testid="label-defect">
          {t('review.markDefect')}
        </button>
        <button type="button" className="primary" onClick={() => void label(rec.id, 'false_alarm', note)} data-testid="label-false-alarm">
          {t('review.markFalseAlarm')}
        </button>
      </div>
      {rec.reviewLabel === 'false_alarm' && !rec.addedToBank && (
        <button type="button" onClick={() => void addToBank([rec.id])} data-testid="add-to-bank">
          {t('review.addToBank')}
        </button>
      )}
    </div>
  );
}
