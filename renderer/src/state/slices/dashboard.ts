import type { MetricsSample } from '../../../../shared/domain';
import type { SliceCreator } from '../types';

export interface DashboardSlice {
  samples: MetricsSample[];
  loadMetricsHistory(): Promise<void>;
  pushSample(s: MetricsSample): void;
}

/** 15 minutes at one sample a second. */
export const SAMPLES_MAX = 900;

export const createDashboardSlice: SliceCreator<DashboardSlice> = ({ client }) => (set) => ({
  samples: [],
  async loadMetricsHistory() {
    const history = await client.call('metrics.history', {});
    set((s) => {
      // Merge, keeping order and dropping duplicates that streamed in while the history was on its way.
      const seen = new Set(history.map((h) => h.at));
      return { samples: [...history, ...s.samples.filter((x) => !seen.has(x.at))].slice(-SAMPLES_MAX) };
    });
  },
  pushSample: (sample) => set((s) => ({ samples: [...s.samples, sample].slice(-SAMPLES_MAX) })),
});
