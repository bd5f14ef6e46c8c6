// Thresholds: score histograms of good vs labelled-defect parts, the ROC curve, a threshold to drag with the false-reject
// and escape rates it implies, and saving it to the model (engineer PIN, audited).
import { useEffect, useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceDot, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePick } from '../lib/app-context';
import { ProgressPanel } from '../components/ProgressPanel';
import { Field, SelectField, StatCard, TextField } from '../components/form';
import { AXIS, CHART_MARGIN, DEFECT_COLOR, GOOD_COLOR, GRID, MARK_COLOR, TOOLTIP } from '../components/chart-style';
import { thresholdView } from '../state/selectors';
import { useFormat, useT } from '../i18n/hooks';

export function ThresholdsScreen() {
  const t = useT();
  const f = useFormat();
  const { models, refreshModels, thresholdModelId: modelId, thresholdData: data, draftThreshold: draft, loadThresholds: load, setDraftThreshold: setDraft, saveThreshold: save, notify } = usePick('models', 'refreshModels', 'thresholdModelId', 'thresholdData', 'draftThreshold', 'loadThresholds', 'setDraftThreshold', 'saveThreshold', 'notify');

  useEffect(() => {
    void refreshModels().catch(() => undefined);
  }, [refreshModels]);

  useEffect(() => {
    const wanted = modelId ?? models.find((m) => m.active)?.id ?? models[0]?.id ?? null;
    if (wanted && (!data || data.modelId !== wanted)) load(wanted).catch((e: Error) => notify('error', { key: 'errors.other', values: { message: e.message } }));
  }, [models, modelId, data, load, notify]);

  const view = useMemo(() => (data ? thresholdView(data, draft) : null), [data, draft]);

  return (
    <section className="screen thresholds" data-testid="screen-thresholds">
      <div className="panel row">
        <SelectField
          label={t('thresholds.model')}
          value={modelId ?? ''}
          onChange={(id) => void load(id)}
          options={models.map((m) => ({ value: m.id, label: `${m.name}${m.active ? t('thresholds.activeSuffix') : ''}` }))}
          empty={t('common.noModels')}
          testId="threshold-model"
        />
        <EvaluateForm />
      </div>
      {data && view && (
        <>
          <div className="panel threshold-controls" data-testid="threshold-controls">
            <Field label={t('thresholds.threshold')} className="row slider grow">
              <input
                type="range"
                min={view.slider.min}
                max={view.slider.max}
                step={view.slider.step}
                value={view.threshold}
                onChange={(e) => setDraft(Number(e.target.value))}
                data-testid="threshold-slider"
              />
              <span className="mono" data-testid="threshold-value">
                {f.score(view.threshold)}
              </span>
            </Field>
            <div className="rates">
              <StatCard className="" label={t('thresholds.falseRejects')} value={f.percent(view.rates.falseRejectRate)} valueTestId="false-reject-rate" />
              <StatCard className="" label={t('thresholds.escapes')} value={f.percent(view.rates.escapeRate)} valueTestId="escape-rate" />
              <StatCard className="" label={t('thresholds.auroc')} value={f.decimal(view.auroc, 3)} />
            </div>
            <div className="row">
              <span className="muted small">
                {t('thresholds.saved', { saved: f.score(data.threshold), calibrated: f.score(data.calibratedThreshold), good: f.int(view.good.length), defect: f.int(view.defect.length) })}
              </span>
              <button type="button" onClick={() => setDraft(data.calibratedThreshold)}>
                {t('thresholds.calibrated')}
              </button>
              <button type="button" className="primary" disabled={!view.dirty} onClick={() => void save()} data-testid="threshold-save">
                {t('thresholds.save')}
              </button>
            </div>
          </div>
          {view.good.length + view.defect.length === 0 ? (
            <p className="panel muted" data-testid="threshold-empty">
              {t('thresholds.empty')}
            </p>
          ) : (
            <div className="charts two">
              <Histogram view={view} />
              <Roc view={view} />
            </div>
          )}
        </>
      )}
    </section>
  );
}

function Histogram({ view }: { view: ReturnType<typeof thresholdView> }) {
  const t = useT();
  const f = useFormat();
  const bins = view.bins.map((b) => ({ ...b, label: f.score(b.mid) }));
  const at = bins.find((b) => view.threshold >= b.x0 && view.threshold < b.x1) ?? (view.threshold >= (bins.at(-1)?.x1 ?? 0) ? bins.at(-1) : bins[0]);
  return (
    <div className="panel chart" data-testid="chart-histogram">
      <h3>{t('thresholds.histogram')}</h3>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={bins} margin={CHART_MARGIN} barCategoryGap={1}>
          <CartesianGrid {...GRID} />
          <XAxis dataKey="label" tick={AXIS} minTickGap={24} />
          <YAxis tick={AXIS} allowDecimals={false} width={40} />
          <Tooltip contentStyle={TOOLTIP} />
          <Legend />
          <Bar dataKey="good" name={t('thresholds.good')} fill={GOOD_COLOR} isAnimationActive={false} />
          <Bar dataKey="defect" name={t('thresholds.defect')} fill={DEFECT_COLOR} isAnimationActive={false} />
          {at && <ReferenceLine x={at.label} stroke={MARK_COLOR} strokeWidth={2} label={{ value: t('thresholds.thresholdMark'), fill: MARK_COLOR, fontSize: 11 }} />}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function Roc({ view }: { view: ReturnType<typeof thresholdView> }) {
  const t = useT();
  const f = useFormat();
  if (view.roc.length === 0) {
    return (
      <div className="panel chart" data-testid="chart-roc">
        <h3>{t('thresholds.roc')}</h3>
        <p className="muted">{t('thresholds.rocNeedsBoth')}</p>
      </div>
    );
  }
  return (
    <div className="panel chart" data-testid="chart-roc">
      <h3>{t('thresholds.rocWithAuroc', { auroc: f.decimal(view.auroc, 3) })}</h3>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={view.roc} margin={CHART_MARGIN}>
          <CartesianGrid {...GRID} />
          <XAxis dataKey="fpr" type="number" domain={[0, 1]} tick={AXIS} name={t('thresholds.falseRejectRate')} />
          <YAxis dataKey="tpr" type="number" domain={[0, 1]} tick={AXIS} width={40} />
          <Line type="stepAfter" dataKey="tpr" stroke="#4fb0ff" dot={false} isAnimationActive={false} name="ROC" />
          {view.operatingPoint && <ReferenceDot x={view.operatingPoint.fpr} y={view.operatingPoint.tpr} r={6} fill={MARK_COLOR} stroke="none" />}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function EvaluateForm() {
  const t = useT();
  const f = useFormat();
  const { evaluateFolder: evaluate, evaluation, cancelEvaluation: cancel, evaluationSummary: summary } = usePick('evaluateFolder', 'evaluation', 'cancelEvaluation', 'evaluationSummary');
  const [folder, setFolder] = useState('');
  return (
    <div className="grow">
      <div className="row">
        <TextField className="grow" label={t('thresholds.labelled')} value={folder} onChange={setFolder} placeholder={t('thresholds.labelledPlaceholder')} testId="evaluate-folder" />
        <button type="button" disabled={!folder.trim() || !!evaluation} onClick={() => void evaluate(folder.trim())} data-testid="evaluate-start">
          {t('thresholds.evaluate')}
        </button>
      </div>
      {evaluation && <ProgressPanel title={t('thresholds.scoring')} progress={evaluation.progress} onCancel={cancel} testId="evaluate-progress" />}
      {summary && (
        <p className="muted small" data-testid="evaluate-summary">
          {t(summary.imageAuroc !== null ? 'thresholds.summaryAuroc' : 'thresholds.summary', {
            images: f.int(summary.images),
            good: f.int(summary.good),
            defect: f.int(summary.defect),
            skipped: f.int(summary.skipped),
            auroc: f.decimal(summary.imageAuroc, 3),
          })}
        </p>
      )}
    </div>
  );
}
