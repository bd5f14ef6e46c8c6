import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics';
import { metricsSampleSchema } from '../../shared/domain';

describe('dashboard metrics', () => {
  it('reports latency percentiles, throughput and NG rate over the trailing window', () => {
    let now = 100_000;
    const m = new Metrics({ windowSeconds: 60, now: () => now, memory: () => ({ rss: 5e8, heapUsed: 1e8 }) });
    for (let i = 1; i <= 100; i++) m.record(i, i % 4 === 0 ? 'NG' : 'OK', now - 30_000 + i * 300);
    const s = metricsSampleSchema.parse(m.sample());
    expect(s.parts).toBe(100);
    expect([s.latencyP50, s.latencyP95, s.latencyP99]).toEqual([50, 95, 99]);
    expect(s.ngRate).toBe(0.25);
    expect(s.partsPerMinute).toBeCloseTo((100 / 29.7) * 60, 6); // 100 parts since the first, 29.7 s ago
    expect(s.rssBytes).toBe(5e8);
    now += 61_000;
    const later = m.sample();
    expect(later.parts).toBe(0);
    expect(later.latencyP50).toBeNull();
    expect(later.ngRate).toBeNull();
  });

  it('carries the active bank and counts dropped frames', () => {
    const m = new Metrics();
    m.bank = { modelId: 'm', bankVectors: 1234, bankBytes: 5678, indexType: 'Flat' };
    m.drop();
    m.drop();
    expect(m.sample()).toMatchObject({ bankVectors: 1234, bankBytes: 5678, indexType: 'Flat', dropped: 2, modelId: 'm' });
  });

  it('keeps a bounded history and pushes each sample to subscribers', () => {
    const m = new Metrics({ historySize: 3 });
    const got: number[] = [];
    const off = m.subscribe((s) => got.push(s.at));
    for (let i = 0; i < 5; i++) m.tick();
    off();
    m.tick();
    expect(got).toHaveLength(5);
    expect(m.getHistory()).toHaveLength(3);
  });
});
