import type { EvaluationSummary, Progress, ThresholdData } from '../../../../shared/domain';
import { errorCode, errorMessage } from '../errors';
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
    return get().asEngineer('Changing a threshold needs the engineer PIN.', async () => {
      const { thresholdModelId: modelId, draftThreshold: threshold } = get();
      if (!modelId || threshold === null) return;
      const m = await client.call('thresholds.save', { modelId, threshold });
      get().notify('ok', `Threshold of "${m.name}" saved: ${m.threshold.toPrecision(4)}.`);
      await get().loadThresholds(modelId);
      await get().refreshModels();
    });
  },

  evaluateFolder(folder) {
    return get().asEngineer('Evaluating a labelled folder needs the engineer PIN.', async () => {
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
        if (errorCode(e) !== 'CANCELLED') get().notify('error', errorMessage(e));
      } finally {
        set({ evaluation: null });
      }
    });
  },

  cancelEvaluation() {
    get().evaluation?.controller.abort();
  },
});
