import type { ModelDetail, ModelSummary, Progress } from '../../../../shared/domain';
import { errorCode } from '../errors';
import type { SliceCreator } from '../types';
import type { CallOptions } from '../../../../shared/client';
import { errorMsg, msg, type Msg } from '../../i18n/message';

/** Long work over a folder of images, with its progress and the controller that cancels it. */
interface FolderTaskBase {
  startedAt: number;
  progress: Progress | null;
  controller: AbortController;
}

interface FolderTask extends FolderTaskBase {
  folder: string;
}

export interface TrainingState extends FolderTask {
  name: string;
}

/** An incremental update of a model with a folder of new good images. */
export interface UpdateState extends FolderTask {
  modelId: string;
}

/** What a failed model task shows: its cancelled text, or the error's message; a PIN refusal goes on to the caller. */
function failureText(e: unknown, cancelled: Msg): Msg {
  if (errorCode(e) === 'PIN_REQUIRED') throw e;
  return errorCode(e) === 'CANCELLED' ? cancelled : errorMsg(e);
}

/**
 * The cached model details that no longer match the model list (another action changed a bank, a threshold or the
 * active model since they were fetched), and the ones of models that are gone.
 */
export function staleModelInfo(models: ModelSummary[], info: Record<string, ModelDetail>): string[] {
  const byId = new Map(models.map((m) => [m.id, m]));
  return Object.keys(info).filter((id) => {
    const m = byId.get(id);
    const d = info[id];
    return !m || m.version !== d.version || m.bankVectors !== d.bankVectors || m.indexBytes !== d.indexBytes || m.threshold !== d.threshold || m.active !== d.active;
  });
}

function without(info: Record<string, ModelDetail>, ids: string[]): Record<string, ModelDetail> {
  const out = { ...info };
  for (const id of ids) delete out[id];
  return out;
}

export interface TrainInput {
  name: string;
  folder: string;
  coresetRatio?: number;
  /** Self-configure from the good images (default on); off: the published defaults, a faster fit. */
  auto?: boolean;
}

export interface ModelsSlice {
  models: ModelSummary[];
  modelInfo: Record<string, ModelDetail>;
  selectedModelId: string | null;
  training: TrainingState | null;
  trainResult: { ok: boolean; text: Msg } | null;
  updating: UpdateState | null;
  versionResult: { modelId: string; ok: boolean; text: Msg } | null;
  refreshModels(): Promise<void>;
  /** Forgets a model's cached details (its bank or threshold changed); the next look fetches them again. */
  invalidateModelInfo(id: string): void;
  selectModel(id: string | null): Promise<void>;
  train(input: TrainInput): Promise<void>;
  cancelTraining(): void;
  loadModel(id: string): Promise<void>;
  deleteModel(id: string): Promise<void>;
  updateModel(id: string, folder: string): Promise<void>;
  cancelUpdate(): void;
  rollbackModel(id: string): Promise<void>;
}

export const createModelsSlice: SliceCreator<ModelsSlice> = ({ client, now = Date.now }) => (set, get) => {
  /**
   * A long folder task held in state[key] (training, updating): progress goes into it, its failure (or cancellation)
   * text to `failed`, and it is cleared when it ends. One task of a kind at a time.
   */
  async function folderTask<R>(
    key: 'training' | 'updating',
    task: Omit<TrainingState, keyof FolderTaskBase> | Omit<UpdateState, keyof FolderTaskBase>,
    clear: Partial<ModelsSlice>,
    call: (opts: CallOptions) => Promise<R>,
    done: (r: R) => Promise<void>,
    failed: (text: Msg) => void,
    cancelled: Msg,
  ): Promise<void> {
    if (get()[key]) return;
    const controller = new AbortController();
    set({ ...clear, [key]: { ...task, startedAt: now(), progress: null, controller } });
    try {
      const r = await call({
        signal: controller.signal,
        onProgress: (p) => set((s) => (s[key] ? { [key]: { ...s[key], progress: p } } : s)),
      });
      await done(r);
    } catch (e) {
      failed(failureText(e, cancelled));
    } finally {
      set({ [key]: null });
    }
  }

  return {
  models: [],
  modelInfo: {},
  selectedModelId: null,
  training: null,
  trainResult: null,
  updating: null,
  versionResult: null,

  async refreshModels() {
    const models = await client.call('models.list', {});
    const stale = staleModelInfo(models, get().modelInfo);
    set((s) => ({ models, modelInfo: without(s.modelInfo, stale) }));
    const sel = get().selectedModelId;
    if (sel && !models.some((m) => m.id === sel)) set({ selectedModelId: null });
    else if (sel && !get().modelInfo[sel]) await get().selectModel(sel);
  },

  invalidateModelInfo(id) {
    set((s) => ({ modelInfo: without(s.modelInfo, [id]) }));
  },

  async selectModel(id) {
    set({ selectedModelId: id });
    if (!id) return;
    const info = await client.call('models.info', { id });
    set((s) => ({ modelInfo: { ...s.modelInfo, [id]: info } }));
  },

  train(input) {
    return get().asEngineer(msg('needsPin.train'), () =>
      folderTask(
        'training',
        { name: input.name, folder: input.folder },
        { trainResult: null },
        (opts) => client.call('models.train', { name: input.name, folder: input.folder, ...(input.auto !== undefined ? { auto: input.auto } : {}), ...(input.coresetRatio ? { coresetRatio: input.coresetRatio } : {}) }, opts),
        async (model) => {
          set({ trainResult: { ok: true, text: msg('models.trained', { name: model.name, vectors: model.bankVectors }) } });
          get().notify('ok', msg('models.ready', { name: model.name }));
          await get().refreshModels();
          await get().selectModel(model.id);
        },
        (text) => set({ trainResult: { ok: false, text } }),
        msg('models.trainCancelled'),
      ),
    );
  },

  cancelTraining() {
    get().training?.controller.abort();
  },

  loadModel(id) {
    return get().asEngineer(msg('needsPin.load'), async () => {
      const m = await client.call('models.load', { id });
      get().notify('ok', msg('models.nowActive', { name: m.name }));
      await get().refreshModels();
    });
  },

  updateModel(id, folder) {
    return get().asEngineer(msg('needsPin.update'), () =>
      folderTask(
        'updating',
        { modelId: id, folder },
        { versionResult: null },
        (opts) => client.call('models.update', { id, folder }, opts),
        async (r) => {
          const v = { version: r.version.version, images: r.version.addedImages, vectors: r.version.addedVectors, bank: r.version.bankVectors };
          const text = r.skipped ? msg('models.updatedSkipped', { ...v, skipped: r.skipped }) : msg('models.updated', v);
          set((s) => ({ versionResult: { modelId: id, ok: true, text }, modelInfo: { ...s.modelInfo, [id]: r.model } }));
          get().notify('ok', msg('models.updatedToast', { name: r.model.name, version: r.version.version }));
          await get().refreshModels();
        },
        (text) => set({ versionResult: { modelId: id, ok: false, text } }),
        msg('models.updateCancelled'),
      ),
    );
  },

  cancelUpdate() {
    get().updating?.controller.abort();
  },

  rollbackModel(id) {
    return get().asEngineer(msg('needsPin.rollback'), async () => {
      try {
        const r = await client.call('models.rollback', { id });
        // The note is main's (e.g. "rolled back version 2 to version 1"): shown as it is.
        const text = r.version.note ? msg('models.rolledBack', { note: r.version.note, vectors: r.version.bankVectors }) : msg('models.rolledBackPlain', { vectors: r.version.bankVectors });
        set((s) => ({ versionResult: { modelId: id, ok: true, text }, modelInfo: { ...s.modelInfo, [id]: r.model } }));
        get().notify('ok', msg('models.rolledBackToast', { name: r.model.name, version: r.version.version }));
        await get().refreshModels();
      } catch (e) {
        if (errorCode(e) === 'PIN_REQUIRED') throw e;
        set({ versionResult: { modelId: id, ok: false, text: errorMsg(e) } });
      }
    });
  },

  deleteModel(id) {
    return get().asEngineer(msg('needsPin.delete'), async () => {
      await client.call('models.delete', { id });
      set((s) => {
        const { [id]: _gone, ...rest } = s.modelInfo;
        return { modelInfo: rest, selectedModelId: s.selectedModelId === id ? null : s.selectedModelId };
      });
      await get().refreshModels();
    });
  },
};
};
