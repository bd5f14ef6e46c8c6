// Retention (part images kept N days or up to M GB, oldest first; verdicts always kept) and the disk guard (below the
// free-space floor, verdicts are recorded without images and the station warns), with a fake free-space probe.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, type DB } from './db';
import { RecordStore, type NewInspection } from './records';
import { Retention } from './retention';
import { PartJournal } from './journal';
import { writeFile } from 'node:fs/promises';
import { tempDir } from './testing/fixtures';
import { DEFAULT_STATION_SETTINGS } from '../../shared/settings';

const GB = 1024 ** 3;
const DAY = 24 * 3600 * 1000;
let db: DB | null = null;
afterEach(() => {
  db?.close();
  db = null;
});

function part(at: number): NewInspection {
  return {
    at,
    source: 'hotfolder',
    sourceName: `p${at}.png`,
    modelId: 'm',
    score: 1,
    normalizedScore: 0.5,
    threshold: 2,
    verdict: 'OK',
    latencyMs: 1,
    image: { kind: 'raw', image: { data: new Uint8Array(16 * 16 * 3).fill(9), width: 16, height: 16, channels: 3 } },
    heatmap: new Uint8Array(4 * 4),
    heatmapWidth: 4,
    heatmapHeight: 4,
  };
}

async function setup(free: { bytes: number }, settings = DEFAULT_STATION_SETTINGS.retention) {
  const dir = await tempDir('retention');
  db = openDatabase(path.join(dir, 'patchline.db'));
  const logs: string[] = [];
  const retention = new Retention(db, dir, settings, null, { probe: async () => free.bytes, log: (m) => logs.push(m), now: () => NOW });
  const records = new RecordStore(db, dir, { imagesAllowed: () => retention.imagesAllowed(), onImagesDropped: (r) => retention.imagesDropped(r) });
  return { dir, retention, records, logs };
}

const NOW = Date.UTC(2025, 6, 1);

describe('retention', () => {
  it('forgets old journal rows, except parts still lying in the hot folder (they stop a rescore on restart)', async () => {
    const dir = await tempDir('retention');
    db = openDatabase(path.join(dir, 'patchline.db'));
    const journal = new PartJournal(db);
    await writeFile(path.join(dir, 'still-here.png'), 'x');
    const rows = ['moved.png', 'gone.png', 'still-here.png'].map((n) => journal.claim(dir, n, 1, 1));
    journal.finish(rows[0], 'moved', path.join(dir, 'ok', 'moved.png'));
    journal.finish(rows[1], 'kept', null);
    journal.finish(rows[2], 'kept', null);
    const retention = new Retention(db, dir, { keepDays: 1, maxGB: 0, minFreeGB: 0 }, journal, { probe: async () => 100 * GB, now: () => Date.now() + 2 * DAY });
    await retention.tick(true);
    expect(rows.map((id) => journal.get(id) !== null)).toEqual([false, false, true]);
  });

  it('deletes part images older than keepDays and keeps every verdict', async () => {
    const { dir, retention, records } = await setup({ bytes: 100 * GB }, { keepDays: 7, maxGB: 0, minFreeGB: 1 });
    const old = await records.save(part(NOW - 8 * DAY));
    const recent = await records.save(part(NOW - 6 * DAY));
    await retention.tick(true);
    expect(existsSync(path.join(dir, old.imagePath))).toBe(false);
    expect(existsSync(path.join(dir, old.heatmapPath))).toBe(false);
    expect(records.get(old.id)).toMatchObject({ imagePath: '', heatmapPath: '', verdict: 'OK', score: 1 });
    await expect(records.readImage(old.id, 'image')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('removed by retention') });
    expect(existsSync(path.join(dir, recent.imagePath))).toBe(true);
  });

  it('keeps at most maxGB of images, deleting the oldest first', async () => {
    const { dir, retention, records } = await setup({ bytes: 100 * GB });
    const recs = [];
    for (let i = 0; i < 6; i++) recs.push(await records.save(part(NOW - (10 - i) * 1000)));
    const per = retention.status().imagesBytes / 6;
    // A cap of 3.5 parts' worth: the three oldest go.
    retention.configure({ keepDays: 0, maxGB: (3.5 * per) / GB, minFreeGB: 0 });
    await retention.tick(true);
    expect(recs.map((r) => existsSync(path.join(dir, r.imagePath)))).toEqual([false, false, false, true, true, true]);
    expect(retention.status().imagesBytes).toBeLessThanOrEqual(3.5 * per);
  });

  it('below the free-space floor warns and records verdicts without images, and keeps images again once there is room', async () => {
    const free = { bytes: 100 * GB };
    const { retention, records, logs } = await setup(free, { keepDays: 0, maxGB: 0, minFreeGB: 2 });
    await retention.tick(false);
    expect((await records.save(part(NOW))).imagePath).not.toBe('');
    free.bytes = 1 * GB;
    await retention.tick(false);
    expect(retention.status()).toMatchObject({ low: true, warning: expect.stringMatching(/below 2 GB .*verdicts are still recorded/) });
    const lean = await records.save(part(NOW + 1));
    expect(lean).toMatchObject({ imagePath: '', heatmapPath: '', verdict: 'OK' });
    expect(logs.some((l) => l.includes('below 2 GB'))).toBe(true);
    free.bytes = 5 * GB;
    await retention.tick(false);
    expect(retention.status()).toMatchObject({ low: false, warning: null });
    expect((await records.save(part(NOW + 2))).imagePath).not.toBe('');
  });

  it('records a verdict without images when the disk fills up mid-write, and stops writing images at once', async () => {
    const { retention, records } = await setup({ bytes: 100 * GB });
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const spy = records as unknown as { writeImages: () => Promise<never> };
    spy.writeImages = async () => {
      throw full;
    };
    const rec = await records.save(part(NOW));
    expect(rec).toMatchObject({ imagePath: '', verdict: 'OK' });
    expect(retention.imagesAllowed()).toBe(false);
    expect(retention.status().warning).toMatch(/disk is full \(ENOSPC\)/);
  });
});
