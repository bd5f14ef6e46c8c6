// The audible NG alert. Whether it sounds is the station setting alerts.soundOnNG (shared/settings.ts), kept by main
// with the other settings: the operator's switch in the top bar and the engineer's Settings screen change the same one.
import { useCallback } from 'react';
import { useApp } from './app-context';
import { soundOnNG } from '../state/selectors';

/** alerts.soundOnNG and its setter. */
export function useSoundOnNG(): [boolean, (on: boolean) => void] {
  const on = useApp((s) => soundOnNG(s.stationSettings));
  const set = useApp((s) => s.setSoundOnNG);
  return [on, useCallback((v: boolean) => void set(v), [set])];
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
