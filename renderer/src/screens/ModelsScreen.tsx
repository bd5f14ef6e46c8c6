// Models: train from a folder of good images (progress, ETA, cancel), list / load / delete, and each model's facts.
import { useEffect, useState, type FormEvent } from 'react';
import { useApp, useClient } from '../lib/app-context';
import type { AuditEntry } from '../../../shared/domain';
import { ProgressPanel } from '../components/ProgressPanel';
import { formatBytes, formatDateTime, formatScore, formatInt } from '../lib/format';

export function ModelsScreen() {
  const models = useApp((s) => s.models);
  const refresh = useApp((s) => s.refreshModels);
  const selected = useApp((s) => s.selectedModelId);
  const select = useApp((s) => s.selectModel);
  const load = useApp((s) => s.loadModel);
  const remove = useApp((s) => s.deleteModel);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);

  useEffect(() => {
    void refresh().catch(() => undefined);
  }, [refresh]);

  return (
    <section className="screen models" data-testid="screen-models">
      <TrainForm />
      <div className="panel">
        <h3>Models</h3>
        {models.length === 0 ? (
          <p className="muted">No models yet. Train one from a folder of good parts.</p>
        ) : (
          <table className="table" data-testid="models-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Created</th>
                <th>Backbone</th>
                <th>Bank</th>
                <th>Index</th>
                <th>Threshold</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={m.id} className={m.id === selected ? 'selected' : ''} onClick={() => void select(m.id)} data-testid="model-row" data-model-id={m.id}>
                  <td>
                    {m.name} {m.active && <span className="badge badge-ok">active</span>}
                  </td>
                  <td>{formatDateTime(Date.parse(m.createdAt))}</td>
                  <td>{m.backbone}</td>
                  <td>
                    {formatInt(m.bankVectors)} × {m.dimension} · {formatBytes(m.indexBytes)}
                  </td>
                  <td>{m.indexType}</td>
                  <td>{formatScore(m.threshold)}</td>
                  <td className="row end" onClick={(e) => e.stopPropagation()}>
                    {!m.active && (
                      <button type="button" onClick={() => void load(m.id)} data-testid="model-load">
                        Load
                      </button>
                    )}
                    {confirmDelete === m.id ? (
                      <button
                        type="button"
                        className="danger"
                        onClick={() => {
                          setConfirmDelete(null);
                          void remove(m.id);
                        }}
                        data-testid="model-delete-confirm"
                      >
                        Really delete
                      </button>
                    ) : (
                      <button type="button" onClick={() => setConfirmDelete(m.id)} data-testid="model-delete">
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {selected && <ModelInfo id={selected} />}
      <AuditLog />
    </section>
  );
}

function TrainForm() {
  const train = useApp((s) => s.train);
  const training = useApp((s) => s.training);
  const cancel = useApp((s) => s.cancelTraining);
  const result = useApp((s) => s.trainResult);
  const [name, setName] = useState('');
  const [folder, setFolder] = useState('');
  const [ratio, setRatio] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = Number(ratio);
    void train({ name: name.trim(), folder: folder.trim(), ...(ratio && r > 0 && r <= 100 ? { coresetRatio: r / 100 } : {}) });
  };

  return (
    <form className="panel" onSubmit={submit} data-testid="train-form">
      <h3>Train a model</h3>
      <p className="muted small">From a folder of images of good parts (or an MVTec AD category folder: its train/good is used).</p>
      <div className="form-grid">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Tile line 2" data-testid="train-name" />
        </label>
        <label>
          Folder of good images (on the workstation)
          <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="/data/good-parts" data-testid="train-folder" />
        </label>
        <label>
          Coreset (% of patches kept, optional)
          <input value={ratio} onChange={(e) => setRatio(e.target.value)} inputMode="decimal" placeholder="engine default" data-testid="train-ratio" />
        </label>
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={!!training || !name.trim() || !folder.trim()} data-testid="train-start">
          Train
        </button>
        {result && (
          <span className={result.ok ? 'ok-text' : 'error'} data-testid="train-result">
            {result.text}
          </span>
        )}
      </div>
      {training && <ProgressPanel title={`Training "${training.name}"`} progress={training.progress} onCancel={cancel} testId="train-progress" />}
    </form>
  );
}

function ModelInfo({ id }: { id: string }) {
  const info = useApp((s) => s.modelInfo[id]);
  if (!info) return null;
  const q = Object.entries(info.calibration.quantiles).sort(([a], [b]) => Number(a) - Number(b));
  return (
    <div className="panel" data-testid="model-info">
      <h3>{info.name}</h3>
      <dl className="facts">
        <dt>Backbone</dt>
        <dd data-testid="info-backbone">{info.backbone}</dd>
        <dt>Memory bank</dt>
        <dd data-testid="info-bank">
          {formatInt(info.bankVectors)} vectors × {info.dimension} dims
        </dd>
        <dt>Index</dt>
        <dd data-testid="info-index">
          {info.indexType} · {formatBytes(info.indexBytes)}
        </dd>
        <dt>Training</dt>
        <dd>
          {info.training.images} images, {formatInt(info.training.patches)} patches, {info.training.skipped} skipped
        </dd>
        <dt>Calibration</dt>
        <dd data-testid="info-calibration">
          threshold {formatScore(info.calibration.threshold)} from {info.calibration.images} held-out good images ({info.calibration.source}); in force:{' '}
          {formatScore(info.threshold)}
        </dd>
        <dt>Good-score quantiles</dt>
        <dd>{q.map(([k, v]) => `q${k} ${formatScore(v)}`).join(' · ')}</dd>
      </dl>
      <VersionPanel id={id} />
      <h4>Version history</h4>
      <ul className="history" data-testid="model-history">
        {info.history.map((h) => (
          <li key={h.version} className={h.rolledBack ? 'rolled-back' : ''} data-testid="history-entry" data-kind={h.kind}>
            v{h.version} {h.kind} · {formatDateTime(Date.parse(h.createdAt))} · {formatInt(h.bankVectors)} vectors
            {h.addedImages ? ` (+${h.addedImages} images, +${formatInt(h.addedVectors)} vectors)` : ''} {h.note ?? ''}
            {h.source ? ` · from ${h.source}` : ''}
            {h.rolledBack ? ' · rolled back' : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** An engineer adds a day's good images to the model as a new version, or returns to the previous one. */
function VersionPanel({ id }: { id: string }) {
  const update = useApp((s) => s.updateModel);
  const cancel = useApp((s) => s.cancelUpdate);
  const rollback = useApp((s) => s.rollbackModel);
  const updating = useApp((s) => s.updating);
  const result = useApp((s) => s.versionResult);
  const [folder, setFolder] = useState('');
  const busy = updating !== null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void update(id, folder.trim());
  };
  return (
    <form className="version-panel" onSubmit={submit} data-testid="version-panel">
      <h4>Update with new good images</h4>
      <p className="muted small">
        Adds a folder of good parts (e.g. today&apos;s) to this model&apos;s memory bank as a new version. Earlier versions are kept, so
        an update can be rolled back.
      </p>
      <div className="row">
        <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="/data/good-parts/today" data-testid="update-folder" />
        <button type="submit" className="primary" disabled={busy || !folder.trim()} data-testid="update-start">
          Update
        </button>
        <button type="button" disabled={busy} onClick={() => void rollback(id)} data-testid="rollback">
          Roll back to the previous version
        </button>
      </div>
      {result?.modelId === id && (
        <p className={result.ok ? 'ok-text' : 'error'} data-testid="version-result">
          {result.text}
        </p>
      )}
      {updating?.modelId === id && <ProgressPanel title="Updating the model" progress={updating.progress} onCancel={cancel} testId="update-progress" />}
    </form>
  );
}

/** The audit table, for engineers: who did what, when, and whether it was allowed. */
function AuditLog() {
  const client = useClient();
  const role = useApp((s) => s.auth?.role);
  const models = useApp((s) => s.models);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  useEffect(() => {
    if (role !== 'engineer') {
      setEntries(null);
      return;
    }
    let alive = true;
    client
      .call('audit.list', { limit: 50 })
      .then((e) => alive && setEntries(e))
      .catch(() => alive && setEntries(null));
    return () => {
      alive = false;
    };
  }, [client, role, models]);
  if (!entries) return null;
  return (
    <div className="panel" data-testid="audit-log">
      <h3>Audit log (latest 50)</h3>
      <table className="table">
        <thead>
          <tr>
            <th>When</th>
            <th>Role</th>
            <th>Action</th>
            <th>Target</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((a) => (
            <tr key={a.id}>
              <td>{formatDateTime(a.at)}</td>
              <td>{a.role}</td>
              <td className="mono">{a.action}</td>
              <td>{a.target ?? ''}</td>
              <td className={a.ok ? 'ok-text' : 'error'}>{a.ok ? 'done' : String(a.details?.message ?? a.details?.reason ?? 'refused')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
