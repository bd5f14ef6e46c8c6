import type { InspectionRecord, ReviewLabel } from '../../../../shared/domain';
import { defaultReviewFilter, reviewQuery, type ReviewFilterForm } from '../selectors';
import type { SliceCreator } from '../types';
import { errorMsg, msg } from '../../i18n/message';

export const REVIEW_PAGE = 24;

export interface ReviewSlice {
  reviewFilter: ReviewFilterForm;
  reviewItems: InspectionRecord[];
  reviewTotal: number;
  reviewPage: number;
  selectedRecordId: number | null;
  reviewBusy: boolean;
  setReviewFilter(patch: Partial<ReviewFilterForm>): void;
  searchReview(page?: number): Promise<void>;
  selectRecord(id: number | null): void;
  labelRecord(id: number, label: ReviewLabel, note: string): Promise<void>;
  addFalseAlarmsToBank(ids: number[]): Promise<void>;
  exportCsv(period: { from: number; to: number }): Promise<{ filename: string; csv: string; rows: number } | null>;
}

export const createReviewSlice: SliceCreator<ReviewSlice> = ({ client }) => (set, get) => ({
  reviewFilter: defaultReviewFilter,
  reviewItems: [],
  reviewTotal: 0,
  reviewPage: 0,
  selectedRecordId: null,
  reviewBusy: false,

  setReviewFilter: (patch) => set((s) => ({ reviewFilter: { ...s.reviewFilter, ...patch } })),

  async searchReview(page = 0) {
    set({ reviewBusy: true });
    try {
      const { items, total } = await client.call('review.list', reviewQuery(get().reviewFilter, page, REVIEW_PAGE));
      set({ reviewItems: items, reviewTotal: total, reviewPage: page });
    } catch (e) {
      get().notify('error', errorMsg(e));
    } finally {
      set({ reviewBusy: false });
    }
  },

  selectRecord: (id) => set({ selectedRecordId: id }),

  async labelRecord(id, label, note) {
    try {
      const rec = await client.call('review.label', { id, label, ...(note.trim() ? { note: note.trim() } : {}) });
      set((s) => ({ reviewItems: s.reviewItems.map((r) => (r.id === id ? rec : r)) }));
      get().notify('ok', msg(label === 'true_defect' ? 'review.markedDefect' : 'review.markedFalseAlarm', { id }));
    } catch (e) {
      get().notify('error', errorMsg(e));
    }
  },

  addFalseAlarmsToBank(ids) {
    return get().asEngineer(msg('needsPin.addToBank'), async () => {
      const r = await client.call('review.addToBank', { ids });
      // The model's bank grew: its details on the Models screen are out of date from now on.
      get().invalidateModelInfo(r.modelId);
      get().notify('ok', msg('review.added', { added: r.added, vectors: r.bankVectors }));
      await get().searchReview(get().reviewPage);
      await get().refreshModels();
    });
  },

  async exportCsv(period) {
    try {
      return await client.call('records.exportCsv', period);
    } catch (e) {
      get().notify('error', errorMsg(e));
      return null;
    }
  },
});
