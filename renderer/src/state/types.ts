import type { StateCreator } from 'zustand/vanilla';
import type { Client } from '../../../shared/client';
import type { SessionSlice } from './slices/session';
import type { UiSlice } from './slices/ui';
import type { ModelsSlice } from './slices/models';
import type { InspectSlice } from './slices/inspect';
import type { DashboardSlice } from './slices/dashboard';
import type { ThresholdsSlice } from './slices/thresholds';
import type { ReviewSlice } from './slices/review';
import type { StationSlice } from './slices/station';

export type AppState = UiSlice & SessionSlice & ModelsSlice & InspectSlice & DashboardSlice & ThresholdsSlice & ReviewSlice & StationSlice;

export interface Deps {
  client: Client;
  now?: () => number;
}

export type SliceCreator<T> = (deps: Deps) => StateCreator<AppState, [], [], T>;
