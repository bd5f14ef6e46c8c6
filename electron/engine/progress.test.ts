import { describe, expect, it } from 'vitest';
import type { Progress } from './api';
import { mapLimit, ProgressTracker, throwIfAborted } from './progress';

describe('ProgressTracker', () => {
  it('reports start and end once, throttles the middle, and estimates an ETA', () => {
    const seen: Progress[] = [];
    const t = new ProgressTracker('extract', 100, (p) => seen.push(p), 1e9);
    for (let i = 0; i < 100; i++) t.tick();
    t.set(100);
    expect(seen.map((p) => p.done)).toEqual([0, 100]);
    expect(seen[0].etaSeconds).toBeNull();
    expect(seen[1].etaSeconds).toBe(0);
    expect(seen.every((p) => p.phase === 'extract' && p.total === 100)).toBe(true);
  });
});

describe('mapLimit', () => {
  it('keeps order and never exceeds the limit', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (v) => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, v));
      active--;
      return v * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});

describe('throwIfAborted', () => {
  it('throws an AbortError once the signal fired', () => {
    const ac = new AbortController();
    expect(() => throwIfAborted(ac.signal)).not.toThrow();
    ac.abort();
    expect(() => throwIfAborted(ac.signal)).toThrow(expect.objectContaining({ name: 'AbortError' }));
  });
});
