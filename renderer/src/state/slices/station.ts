// The station settings (line outputs, sorting, retention, alerts) and the outputs' live status. Engineers change
// settings through settings.set (PIN); the operator's one switch, the NG alert sound, goes through settings.setAlerts.
import type { StationSettings, StationSettingsPatch, StationStatus } from '../../../../shared/settings';
import { errorCode } from '../errors';
import { errorMsg, msg } from '../../i18n/message';
import type { SliceCreator } from '../types';

export interface StationSlice {
  /** null until loaded from main. */
  stationSettings: StationSettings | null;
  stationStatus: StationStatus | null;
  /** The HTTP API's token once an engineer asked to see it (never kept across locks). */
  httpToken: string | null;
  loadStationSettings(): Promise<void>;
  refreshStationStatus(): Promise<void>;
  /** Applies one section's change (outputs start or stop at once); true when saved. */
  saveStationSettings(patch: StationSettingsPatch): Promise<boolean>;
  setSoundOnNG(on: boolean): Promise<void>;
  revealHttpToken(): Promise<void>;
}

export const createStationSlice: SliceCreator<StationSlice> = ({ client }) => (set, get) => ({
  stationSettings: null,
  stationStatus: null,
  httpToken: null,

  async loadStationSettings() {
    set({ stationSettings: await client.call('settings.get', {}) });
  },

  async refreshStationStatus() {
    set({ stationStatus: await client.call('station.status', {}) });
  },

  async saveStationSettings(patch) {
    let saved = false;
    await get().asEngineer(msg('needsPin.settings'), async () => {
      try {
        set({ stationSettings: await client.call('settings.set', patch) });
        saved = true;
        get().notify('ok', msg('settings.savedToast'));
      } catch (e) {
        if (errorCode(e) === 'PIN_REQUIRED') throw e;
        get().notify('error', errorMsg(e));
      }
      await get().refreshStationStatus().catch(() => undefined);
    });
    return saved;
  },

  async setSoundOnNG(on) {
    const before = get().stationSettings;
    // The switch answers at once; main's answer (or a failure) settles it.
    if (before) set({ stationSettings: { ...before, alerts: { ...before.alerts, soundOnNG: on } } });
    try {
      set({ stationSettings: await client.call('settings.setAlerts', { soundOnNG: on }) });
    } catch (e) {
      set({ stationSettings: before });
      get().notify('error', errorMsg(e));
    }
  },

  async revealHttpToken() {
    await get().asEngineer(msg('needsPin.settings'), async () => {
      set({ httpToken: (await client.call('station.httpToken', {})).token });
    });
  },
});
