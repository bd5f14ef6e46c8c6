// The audible NG alert. Whether it sounds is the station setting alerts.soundOnNG (shared/settings.ts); until the
// contract's settings.get/settings.set reach this branch the choice is kept in localStorage behind useSoundOnNG, so
// wiring it to the contract changes that one hook and nothing else.
import { useCallback, useSyncExternalStore } from 'react';
import { DEFAULT_STATION_SETTINGS } from '../../../shared/settings';

const KEY = 'patchline.alerts.soundOnNG';
const listeners = new Set<() => void>();

function read(): boolean {
  try {
    const v = localStorage.getItem(KEY);
    return v === null ? DEFAULT_STATION_SETTINGS.alerts.soundOnNG : v === 'true';
  } catch {
    return DEFAULT_STATION_SETTINGS.alerts.soundOnNG;
  }
}

export function setSoundOnNG(on: boolean): void {
  try {
    localStorage.setItem(KEY, String(on));
  } catch {
    // storage denied: the choice lasts for this session
  }
  listeners.forEach((l) => l());
}

export function soundOnNG(): boolean {
  return typeof localStorage === 'undefined' ? DEFAULT_STATION_SETTINGS.alerts.soundOnNG : read();
}

/** alerts.soundOnNG and its setter. */
export function useSoundOnNG(): [boolean, (on: boolean) => void] {
  const on = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    soundOnNG,
    () => DEFAULT_STATION_SETTINGS.alerts.soundOnNG,
  );
  return [on, useCallback((v: boolean) => setSoundOnNG(v), [])];
}

/**
 * Decides when to beep: once per new NG part (a record id not heard before), at most once per `gapMs` so a run of NG
 * camera frames is a series of beeps, not one long tone.
 */
export class NgAlerter {
  private lastId: number | null = null;
  private lastBeep = -Infinity;

  constructor(
    private readonly play: () => void,
    private readonly gapMs = 700,
  ) {}

  onResult(r: { recordId: number; verdict: 'OK' | 'NG' } | null | undefined, enabled: boolean, now: number): boolean {
    if (!r || r.recordId === this.lastId) return false;
    this.lastId = r.recordId;
    if (!enabled || r.verdict !== 'NG' || now - this.lastBeep < this.gapMs) return false;
    this.lastBeep = now;
    this.play();
    return true;
  }
}

let audio: AudioContext | null = null;

/** A short two-tone beep through WebAudio: no sound file to ship, and it plays inside the strict CSP. */
export function beep(): void {
  try {
    audio ??= new AudioContext();
    void audio.resume();
    const t = audio.currentTime;
    const gain = audio.createGain();
    gain.connect(audio.destination);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.4, t + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.32);
    for (const [f, at] of [
      [880, 0],
      [660, 0.16],
    ]) {
      const osc = audio.createOscillator();
      osc.type = 'square';
      osc.frequency.setValueAtTime(f, t + at);
      osc.connect(gain);
      osc.start(t + at);
      osc.stop(t + at + 0.15);
    }
  } catch {
    // no audio device: the banner still says NG
  }
}
