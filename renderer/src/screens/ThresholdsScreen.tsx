// Thresholds: score histograms of good vs labelled-defect parts, the ROC curve, a threshold to drag with the false-reject
// and escape rates it implies, and saving it to the model (engineer PIN, audited).
import { useEffect, useMemo, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceDot,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useApp } from '../lib/app-context';
import { ProgressPanel } from '../components/ProgressPanel';
import { thresholdView } from '../state/selectors';
import { formatPercent, formatScore } from '../lib/format';

const AXIS = { stroke: '#8a96a3', fontSize: 11 };

export function ThresholdsScreen() {
  const models = useApp((s) => s.models);
  const refreshModels = useApp((s) => s.refreshModels);
  const modelId = useApp((s) => s.thresholdModelId);
  const data = useApp((s) => s.thresholdData);
  const draft = useApp((s) => s.draftThreshold);
  const load = useApp((s) => s.loadThresholds);
  const setDraft = useApp((s) => s.setDraftThreshold);
  const save = useApp((s) => s.saveThreshold);
  const notify = useApp((s) => s.notify);

  useEffect(() => {
    void refreshModels().catch(() => undefined);
  }, [refreshModels]);

  useEffect(() => {
    const wanted = modelId ?? models.find((m) => m.active)?.id ?? models[0]?.id ?? null;
    if (wanted && (!data || data.modelId !== wanted)) load(wanted).catch((e: Error) => notify('error', e.message));
  }, [models, modelId, data, load, notify]);

  const view = useMemo(() => (data ? thresholdView(data, draft) : null), [data, draft]);

  return (
    <section className="screen thresholds" data-testid="screen-thresholds">
      <div className="panel row">
        <label>
          Model
          <select value={modelId ?? ''} onChange={(e) => void load(e.target.value)} data-testid="threshold-model">
            {models.length === 0 && <option value="">(no models)</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
                {m.active ? ' (active)' : ''}
              </option>
            ))}
          </select>
        </label>
        <EvaluateForm />
      </div>
      {data && view && (
        <>
          <div className="panel threshold-controls" data-testid="threshold-controls">
            <label className="row slider grow">
              Threshold
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
                {formatScore(view.threshold)}
              </span>
            </label>
            <div className="rates">
              <div>
                <div className="muted small">False rejects (good parts called NG)</div>
                <div className="card-value" data-testid="false-reject-rate">
                  {formatPercent(view.rates.falseRejectRate)}
                </div>
              </div>
              <div>
                <div className="muted small">Escapes (defects called OK)</div>
                <div className="card-value" data-testid="escape-rate">
                  {formatPercent(view.rates.escapeRate)}
                </div>
              </div>
              <div>
                <div className="muted small">Image AUROC</div>
                <div className="card-value">{view.auroc === null ? '–' : view.auroc.toFixed(3)}</div>
              </div>
            </div>
            <div className="row">
              <span className="muted small">
                Saved {formatScore(data.threshold)} · calibrated {formatScore(data.calibratedThreshold)} · {view.good.length} good and {view.defect.length} defect
                scores
              </span>
              <button type="button" onClick={() => setDraft(data.calibratedThreshold)}>
                Calibrated
              </button>
              <button type="button" className="primary" disabled={!view.dirty} onClick={() => void save()} data-testid="threshold-save">
                Save threshold
              </button>
            </div>
          </div>
          {view.good.length + view.defect.length === 0 ? (
            <p className="panel muted" data-testid="threshold-empty">
              No labelled scores yet: evaluate a labelled folder above, or review flagged parts on the Review screen.
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
  const bins = view.bins.map((b) => ({ ...b, label: formatScore(b.mid) }));
  const at = bins.find((b) => view.threshold >= b.x0 && view.threshold < b.x1) ?? (view.threshold >= (bins.at(-1)?.x1 ?? 0) ? bins.at(-1) : bins[0]);
  return (
    <div className="panel chart" data-testid="chart-histogram">
      <h3>Scores: good vs defect</h3>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={bins} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} barCategoryGap={1}>
          <CartesianGrid stroke="#26303a" strokeDasharray="3 3" />
          <XAxis dataKey="label" tick={AXIS} minTickGap={24} />
          <YAxis tick={AXIS} allowDecimals={false} width={40} />
          <Tooltip contentStyle={{ background: '#151b21', border: '1px solid #2b3540' }} />
          <Legend />
          <Bar dataKey="good" name="good" fill="#3ecf8e" isAnimationActive={false} />
          <Bar dataKey="defect" name="defect" fill="#ef5b5b" isAnimationActive={false} />
          {at && <ReferenceLine x={at.label} stroke="#f0b429" strokeWidth={2} label={{ value: 'threshold', fill: '#f0b429', fontSize: 11 }} />}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function Roc({ view }: { view: ReturnType<typeof thresholdView> }) {
  if (view.roc.length === 0) {
    return (
      <div className="panel chart" data-testid="chart-roc">
        <h3>ROC</h3>
        <p className="muted">The ROC curve needs both good and defect labels.</p>
      </div>
    );
  }
  return (
    <div className="panel chart" data-testid="chart-roc">
      <h3>ROC (AUROC {view.auroc?.toFixed(3)})</h3>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={view.roc} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#26303a" strokeDasharray="3 3" />
          <XAxis dataKey="fpr" type="number" domain={[0, 1]} tick={AXIS} name="false reject rate" />
          <YAxis dataKey="tpr" type="number" domain={[0, 1]} tick={AXIS} width={40} />
          <Line type="stepAfter" dataKey="tpr" stroke="#4fb0ff" dot={false} isAnimationActive={false} name="ROC" />
          {view.operatingPoint && <ReferenceDot x={view.operatingPoint.fpr} y={view.operatingPoint.tpr} r={6} fill="#f0b429" stroke="none" />}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function EvaluateForm() {
  const evaluate = useApp((s) => s.evaluateFolder);
  const evaluation = useApp((s) => s.evaluation);
  const cancel = useApp((s) => s.cancelEvaluation);
  const summary = useApp((s) => s.evaluationSummary);
  const [folder, setFolder] = useState('');
  return (
    <div className="grow">
      <div className="row">
        <label className="grow">
          Labelled folder (MVTec layout: test/good, test/&lt;defect&gt;)
          <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="/data/labelled" data-testid="evaluate-folder" />
        </label>
        <button type="button" disabled={!folder.trim() || !!evaluation} onClick={() => void evaluate(folder.trim())} data-testid="evaluate-start">
          Evaluate
        </button>
      </div>
      {evaluation && <ProgressPanel title="Scoring the labelled folder" progress={evaluation.progress} onCancel={cancel} testId="evaluate-progress" />}
      {summary && (
        <p className="muted small" data-testid="evaluate-summary">
          {summary.images} images scored ({summary.good} good, {summary.defect} defect, {summary.skipped} skipped)
          {summary.imageAuroc !== null ? `, AUROC ${summary.imageAuroc.toFixed(3)}` : ''}.
        </p>
      )}
    </div>
  );
}
