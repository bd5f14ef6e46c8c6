import type { ModelDetail, ModelSummary, Progress } from '../../../../shared/domain';
import { errorCode, errorMessage } from '../errors';
import type { SliceCreator } from '../types';
import { formatInt } from '../../lib/format';

/** Long work over a folder of images, with its progress and the controller that cancels it. */
interface FolderTask {
  folder: string;
  startedAt: number;
  progress: Progress | null;
  controller: AbortController;
}

export interface TrainingState extends FolderTask {
  name: string;
}

/** An incremental update of a model with a folder of new good images. */
export interface UpdateState extends FolderTask {
  modelId: string;
}

/** What a failed model task shows: its cancelled text, or the error's message; a PIN refusal goes on to the caller. */
function failureText(e: unknown, cancelled: string): string {
  if (errorCode(e) === 'PIN_REQUIRED') throw e;
  return errorCode(e) === 'CANCELLED' ? cancelled : errorMessage(e);
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
}

export interface ModelsSlice {
  models: ModelSummary[];
  modelInfo: Record<string, ModelDetail>;
  selectedModelId: string | null;
  training: TrainingState | null;
  trainResult: { ok: boolean; text: string } | null;
  updating: UpdateState | null;
  versionResult: { modelId: string; ok: boolean; text: string } | null;
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

export const createModelsSlice: SliceCreator<ModelsSlice> = ({ client, now = Date.now }) => (set, get) => ({
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
    return get().asEngineer('Training a model needs the engineer PIN.', async () => {
      if (get().training) return;
      const controller = new AbortController();
      set({ training: { name: input.name, folder: input.folder, startedAt: now(), progress: null, controller }, trainResult: null });
      try {
        const model = await client.call(
          'models.train',
          { name: input.name, folder: input.folder, ...(input.coresetRatio ? { coresetRatio: input.coresetRatio } : {}) },
          {
            signal: controller.signal,
            onProgress: (p) => set((s) => (s.training ? { training: { ...s.training, progress: p } } : s)),
          },
        );
        set({ trainResult: { ok: true, text: `Model "${model.name}" trained: ${formatInt(model.bankVectors)} bank vectors.` } });
        get().notify('ok', `Model "${model.name}" is ready.`);
        await get().refreshModels();
        await get().selectModel(model.id);
      } catch (e) {
        set({ trainResult: { ok: false, text: failureText(e, 'Training cancelled.') } });
      } finally {
        set({ training: null });
      }
    });
  },

  cancelTraining() {
    get().training?.controller.abort();
  },

  loadModel(id) {
    return get().asEngineer('Loading a model needs the engineer PIN.', async () => {
      const m = await client.call('models.load', { id });
      get().notify('ok', `Model "${m.name}" is now active.`);
      await get().refreshModels();
    });
  },

  updateModel(id, folder) {
    return get().asEngineer('Updating a model needs the engineer PIN.', async () => {
      if (get().updating) return;
      const controller = new AbortController();
      set({ updating: { modelId: id, folder, startedAt: now(), progress: null, controller }, versionResult: null });
      try {
        const r = await client.call('models.update', { id, folder }, {
          signal: controller.signal,
          onProgress: (p) => set((s) => (s.updating ? { updating: { ...s.updating, progress: p } } : s)),
        });
        const skipped = r.skipped ? `, ${r.skipped} unreadable image(s) skipped` : '';
        const text = `Version ${r.version.version}: +${formatInt(r.version.addedImages)} images, +${formatInt(r.version.addedVectors)} vectors (bank ${formatInt(r.version.bankVectors)})${skipped}.`;
        set((s) => ({ versionResult: { modelId: id, ok: true, text }, modelInfo: { ...s.modelInfo, [id]: r.model } }));
        get().notify('ok', `Model "${r.model.name}" updated to version ${r.version.version}.`);
        await get().refreshModels();
      } catch (e) {
        set({ versionResult: { modelId: id, ok: false, text: failureText(e, 'Update cancelled; the model is unchanged.') } });
      } finally {
        set({ updating: null });
      }
    });
  },

  cancelUpdate() {
    get().updating?.controller.abort();
  },

  rollbackModel(id) {
    return get().asEngineer('Rolling a model back needs the engineer PIN.', async () => {
      try {
        const r = await client.call('models.rollback', { id });
        const text = `${r.version.note ?? 'Rolled back'}: bank ${formatInt(r.version.bankVectors)} vectors.`;
        set((s) => ({ versionResult: { modelId: id, ok: true, text }, modelInfo: { ...s.modelInfo, [id]: r.model } }));
        get().notify('ok', `Model "${r.model.name}": ${text}`);
        await get().refreshModels();
      } catch (e) {
        if (errorCode(e) === 'PIN_REQUIRED') throw e;
        set({ versionResult: { modelId: id, ok: false, text: errorMessage(e) } });
      }
    });
  },

  deleteModel(id) {
    return get().asEngineer('Deleting a model needs the engineer PIN.', async () => {
      await client.call('models.delete', { id });
      set((s) => {
        const { [id]: _gone, ...rest } = s.modelInfo;
        return { modelInfo: rest, selectedModelId: s.selectedModelId === id ? null : s.selectedModelId };
      });
      await get().refreshModels();
    });
  },
});
