import type { EvaluationSummary, Progress, ThresholdData } from '../../../../shared/domain';
import { errorCode } from '../errors';
import { errorMsg, msg } from '../../i18n/message';
import type { SliceCreator } from '../types';

export interface ThresholdsSlice {
  thresholdModelId: string | null;
  thresholdData: ThresholdData | null;
  draftThreshold: number | null;
  evaluation: { progress: Progress | null; controller: AbortController } | null;
  evaluationSummary: EvaluationSummary | null;
  loadThresholds(modelId: string): Promise<void>;
  setDraftThreshold(t: number | null): void;
  saveThreshold(): Promise<void>;
  evaluateFolder(folder: string): Promise<void>;
  cancelEvaluation(): void;
}

export const createThresholdsSlice: SliceCreator<ThresholdsSlice> = ({ client }) => (set, get) => ({
  thresholdModelId: null,
  thresholdData: null,
  draftThreshold: null,
  evaluation: null,
  evaluationSummary: null,

  async loadThresholds(modelId) {
    const data = await client.call('thresholds.data', { modelId });
    set({ thresholdModelId: modelId, thresholdData: data, draftThreshold: null });
  },

  setDraftThreshold: (t) => set({ draftThreshold: t !== null && Number.isFinite(t) && t > 0 ? t : null }),

  saveThreshold() {
    return get().asEngineer(msg('needsPin.threshold'), async () => {
      const { thresholdModelId: modelId, draftThreshold: threshold } = get();
      if (!modelId || threshold === null) return;
      const m = await client.call('thresholds.save', { modelId, threshold });
      get().notify('ok', msg('thresholds.savedToast', { name: m.name, threshold: m.threshold }));
      await get().loadThresholds(modelId);
      await get().refreshModels();
    });
  },

  evaluateFolder(folder) {
    return get().asEngineer(msg('needsPin.evaluate'), async () => {
      const modelId = get().thresholdModelId;
      if (!modelId || get().evaluation) return;
      const controller = new AbortController();
      set({ evaluation: { progress: null, controller }, evaluationSummary: null });
      try {
        const summary = await client.call(
          'thresholds.evaluate',
          { modelId, folder },
          { signal: controller.signal, onProgress: (p) => set((s) => (s.evaluation ? { evaluation: { ...s.evaluation, progress: p } } : s)) },
        );
        set({ evaluationSummary: summary });
        await get().loadThresholds(modelId);
      } catch (e) {
        if (errorCode(e) === 'PIN_REQUIRED') throw e;
        if (errorCode(e) !== 'CANCELLED') get().notify('error', errorMsg(e));
      } finally {
        set({ evaluation: null });
      }
    });
  },

  cancelEvaluation() {
    get().evaluation?.controller.abort();
  },
});
