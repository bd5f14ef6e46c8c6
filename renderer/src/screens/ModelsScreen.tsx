// Models: train from a folder of good images (progress, ETA, cancel), list / load / delete, and each model's facts.
import { useEffect, useState, type FormEvent } from 'react';
import { useApp, useClient, usePick } from '../lib/app-context';
import type { AuditEntry, ModelDetail } from '../../../shared/domain';
import { ProgressPanel } from '../components/ProgressPanel';
import { Facts, Table, TextField } from '../components/form';
import { useFormat, useMsg, useT } from '../i18n/hooks';
import type { Msg } from '../i18n/message';

export function ModelsScreen() {
  const t = useT();
  const f = useFormat();
  const { models, refreshModels: refresh, selectedModelId: selected, selectModel: select, loadModel: load, deleteModel: remove } = usePick('models', 'refreshModels', 'selectedModelId', 'selectModel', 'loadModel', 'deleteModel');
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);

  useEffect(() => {
    void refresh().catch(() => undefined);
  }, [refresh]);

  return (
    <section className="screen models" data-testid="screen-models">
      <TrainForm />
      <div className="panel">
        <h3>{t('models.title')}</h3>
        {models.length === 0 ? (
          <p className="muted">{t('models.empty')}</p>
        ) : (
          <Table testId="models-table" head={[t('models.name'), t('models.created'), t('models.backbone'), t('models.bank'), t('models.index'), t('models.threshold'), '']}>
            {models.map((m) => (
              <tr key={m.id} className={m.id === selected ? 'selected' : ''} onClick={() => void select(m.id)} data-testid="model-row" data-model-id={m.id}>
                <td>
                  {m.name} {m.active && <span className="badge badge-ok">{t('common.active')}</span>}
                </td>
                <td>{f.dateTime(Date.parse(m.createdAt))}</td>
                <td>{m.backbone}</td>
                <td>{t('models.bankShape', { vectors: f.int(m.bankVectors), dims: m.dimension, bytes: f.bytes(m.indexBytes) })}</td>
                <td>{m.indexType}</td>
                <td>{f.score(m.threshold)}</td>
                <td className="row end" onClick={(e) => e.stopPropagation()}>
                  {!m.active && (
                    <button type="button" onClick={() => void load(m.id)} data-testid="model-load">
                      {t('models.load')}
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
                      {t('models.reallyDelete')}
                    </button>
                  ) : (
                    <button type="button" onClick={() => setConfirmDelete(m.id)} data-testid="model-delete">
                      {t('models.delete')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </div>
      {selected && <ModelInfo id={selected} />}
      <AuditLog />
    </section>
  );
}

/** A task's last result line: green when it worked, red when not. */
function ResultLine({ result, testId, as: Tag = 'span' }: { result: { ok: boolean; text: Msg } | null | undefined; testId: string; as?: 'span' | 'p' }) {
  const text = useMsg();
  if (!result) return null;
  return (
    <Tag className={result.ok ? 'ok-text' : 'error'} data-testid={testId}>
      {text(result.text)}
    </Tag>
  );
}

function TrainForm() {
  const t = useT();
  const { train, training, cancelTraining: cancel, trainResult: result } = usePick('train', 'training', 'cancelTraining', 'trainResult');
  const [name, setName] = useState('');
  const [folder, setFolder] = useState('');
  const [ratio, setRatio] = useState('');
  const [auto, setAuto] = useState(true);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = Number(ratio);
    void train({ name: name.trim(), folder: folder.trim(), auto, ...(ratio && r > 0 && r <= 100 ? { coresetRatio: r / 100 } : {}) });
  };

  return (
    <form className="panel" onSubmit={submit} data-testid="train-form">
      <h3>{t('models.trainTitle')}</h3>
      <p className="muted small">{t('models.trainHint')}</p>
      <div className="form-grid">
        <TextField label={t('models.name')} value={name} onChange={setName} placeholder={t('models.namePlaceholder')} testId="train-name" />
        <TextField label={t('models.folder')} value={folder} onChange={setFolder} placeholder={t('models.folderPlaceholder')} testId="train-folder" />
        <TextField label={t('models.coreset')} value={ratio} onChange={setRatio} inputMode="decimal" placeholder={t('models.coresetPlaceholder')} testId="train-ratio" />
      </div>
      <label className="check">
        <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} data-testid="train-auto" />
        {t('models.auto')}
      </label>
      <div className="row">
        <button type="submit" className="primary" disabled={!!training || !name.trim() || !folder.trim()} data-testid="train-start">
          {t('models.train')}
        </button>
        <ResultLine result={result} testId="train-result" />
      </div>
      {training && <ProgressPanel title={t('models.training', { name: training.name })} progress={training.progress} onCancel={cancel} testId="train-progress" />}
    </form>
  );
}

export function ModelFacts({ info }: { info: ModelDetail }) {
  const t = useT();
  const f = useFormat();
  const q = Object.entries(info.calibration.quantiles).sort(([a], [b]) => Number(a) - Number(b));
  return (
    <Facts
      rows={[
        { label: t('models.backbone'), value: info.backbone, testId: 'info-backbone' },
        { label: t('models.memoryBank'), value: t('models.bankInfo', { vectors: f.int(info.bankVectors), dims: info.dimension }), testId: 'info-bank' },
        { label: t('models.index'), value: `${info.indexType} · ${f.bytes(info.indexBytes)}`, testId: 'info-index' },
        { label: t('models.trainingFacts'), value: t('models.trainingInfo', { images: f.int(info.training.images), patches: f.int(info.training.patches), skipped: f.int(info.training.skipped) }) },
        {
          label: t('models.calibration'),
          value: t('models.calibrationInfo', { threshold: f.score(info.calibration.threshold), images: f.int(info.calibration.images), source: info.calibration.source, inForce: f.score(info.threshold) }),
          testId: 'info-calibration',
        },
        { label: t('models.quantiles'), value: q.map(([k, v]) => `q${k} ${f.score(v)}`).join(' · ') },
      ]}
    />
  );
}

function ModelInfo({ id }: { id: string }) {
  const t = useT();
  const f = useFormat();
  const info = useApp((s) => s.modelInfo[id]);
  if (!info) return null;
  return (
    <div className="panel" data-testid="model-info">
      <h3>{info.name}</h3>
      <ModelFacts info={info} />
      <VersionPanel id={id} />
      <h4>{t('models.history')}</h4>
      <ul className="history" data-testid="model-history">
        {info.history.map((h) => (
          <li key={h.version} className={h.rolledBack ? 'rolled-back' : ''} data-testid="history-entry" data-kind={h.kind}>
            {t('models.historyEntry', { version: h.version, kind: t(`models.kind.${h.kind}`, { defaultValue: h.kind }), when: f.dateTime(Date.parse(h.createdAt)), vectors: f.int(h.bankVectors) })}
            {h.addedImages ? t('models.historyAdded', { images: f.int(h.addedImages), vectors: f.int(h.addedVectors) }) : ''} {h.note ?? ''}
            {h.source ? t('models.historyFrom', { source: h.source }) : ''}
            {h.rolledBack ? t('models.historyRolledBack') : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** An engineer adds a day's good images to the model as a new version, or returns to the previous one. */
function VersionPanel({ id }: { id: string }) {
  const t = useT();
  const { updateModel: update, cancelUpdate: cancel, rollbackModel: rollback, updating, versionResult: result } = usePick('updateModel', 'cancelUpdate', 'rollbackModel', 'updating', 'versionResult');
  const [folder, setFolder] = useState('');
  const busy = updating !== null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void update(id, folder.trim());
  };
  return (
    <form className="version-panel" onSubmit={submit} data-testid="version-panel">
      <h4>{t('models.updateTitle')}</h4>
      <p className="muted small">{t('models.updateHint')}</p>
      <div className="row">
        <TextField value={folder} onChange={setFolder} placeholder={t('models.updatePlaceholder')} testId="update-folder" />
        <button type="submit" className="primary" disabled={busy || !folder.trim()} data-testid="update-start">
          {t('models.update')}
        </button>
        <button type="button" disabled={busy} onClick={() => void rollback(id)} data-testid="rollback">
          {t('models.rollback')}
        </button>
      </div>
      {result?.modelId === id && <ResultLine as="p" result={result} testId="version-result" />}
      {updating?.modelId === id && <ProgressPanel title={t('models.updating')} progress={updating.progress} onCancel={cancel} testId="update-progress" />}
    </form>
  );
}

/** The audit table, for engineers: who did what, when, and whether it was allowed. */
export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  const t = useT();
  const f = useFormat();
  return (
    <div className="panel" data-testid="audit-log">
      <h3>{t('models.auditTitle')}</h3>
      <Table head={[t('models.when'), t('models.role'), t('models.action'), t('models.target'), t('models.result')]}>
        {entries.map((a) => (
          <tr key={a.id}>
            <td>{f.dateTime(a.at)}</td>
            <td>{t(`models.roleName.${a.role}`, { defaultValue: a.role })}</td>
            <td className="mono">{a.action}</td>
            <td>{a.target ?? ''}</td>
            <td className={a.ok ? 'ok-text' : 'error'}>{a.ok ? t('models.done') : String(a.details?.message ?? a.details?.reason ?? t('models.refused'))}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

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
  return entries ? <AuditTable entries={entries} /> : null;
}
