// One zustand store made of slices. Created with the vanilla API so tests drive it without React; useApp in
// ../lib/app-context.tsx binds it to components.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppState, Deps } from './types';
import { createUiSlice } from './slices/ui';
import { createSessionSlice } from './slices/session';
import { createModelsSlice } from './slices/models';
import { createInspectSlice } from './slices/inspect';
import { createDashboardSlice } from './slices/dashboard';
import { createThresholdsSlice } from './slices/thresholds';
import { createReviewSlice } from './slices/review';
import { createStationSlice } from './slices/station';

export type AppStore = StoreApi<AppState>;

export function createAppStore(deps: Deps): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createUiSlice(deps)(...a),
    ...createSessionSlice(deps)(...a),
    ...createModelsSlice(deps)(...a),
    ...createInspectSlice(deps)(...a),
    ...createDashboardSlice(deps)(...a),
    ...createThresholdsSlice(deps)(...a),
    ...createReviewSlice(deps)(...a),
    ...createStationSlice(deps)(...a),
  }));
}

/** Subscriptions the app keeps while it runs; returns the function that ends them. */
export function startLiveFeeds(store: AppStore, deps: Deps): () => void {
  const { client } = deps;
  const s = store.getState();
  const offs = [
    // A lost connection ends every subscription: it is shown, not hidden.
    client.subscribe(
      'metrics.stream',
      {},
      (m) => store.getState().pushSample(m),
      (err) => err && store.getState().setConnection('closed', err.message),
    ),
    client.subscribe('hotfolder.events', {}, (e) => store.getState().onHotFolderEvent(e)),
    client.subscribe('auth.changes', {}, (a) => store.getState().setAuth(a)),
  ];
  void s.loadMetricsHistory().catch(() => undefined);
  // The NG alert follows the station setting alerts.soundOnNG from the first part on.
  void s.loadStationSettings().catch(() => undefined);
  return () => offs.forEach((off) => off());
}
