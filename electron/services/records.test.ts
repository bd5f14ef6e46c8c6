import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { openDatabase, type DB } from './db';
import { RecordStore, csvText, type NewInspection } from './records';
import { datasetImages, repoRoot, tempDir } from './testing/fixtures';
import { inspectionRecordSchema } from '../../shared/domain';

let db: DB | null = null;
afterEach(() => {
  db?.close();
  db = null;
});

async function store() {
  const dir = await tempDir('records');
  db = openDatabase(path.join(dir, 'patchline.db'));
  return { dir, store: new RecordStore(db, dir) };
}

function part(over: Partial<NewInspection> = {}): NewInspection {
  return {
    at: Date.UTC(2025, 0, 2, 10, 0, 0),
    source: 'camera',
    sourceName: 'cam 1',
    modelId: 'm1',
    score: 1.5,
    normalizedScore: 1.2,
    threshold: 1.25,
    verdict: 'NG',
    latencyMs: 12.5,
    image: { kind: 'raw', image: { data: new Uint8Array(32 * 24 * 4).fill(200), width: 32, height: 24, channels: 4 } },
    heatmap: new Uint8Array(8 * 8).fill(200),
    heatmapWidth: 8,
    heatmapHeight: 8,
    ...over,
  };
}

describe('records database', () => {
  it('opens in WAL mode', async () => {
    await store();
    expect(db!.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('stores a camera frame as JPEG and a heatmap thumbnail as PNG beside the database', async () => {
    const { dir, store: s } = await store();
    const rec = await s.save(part());
    expect(inspectionRecordSchema.parse(rec)).toMatchObject({ source: 'camera', verdict: 'NG', reviewLabel: null, addedToBank: false });
    expect(rec.imagePath).toMatch(/^records\/2025-01-02\/.+\.jpg$/);
    const img = await sharp(path.join(dir, rec.imagePath)).metadata();
    expect([img.format, img.width, img.height]).toEqual(['jpeg', 32, 24]);
    const heat = await sharp(path.join(dir, rec.heatmapPath)).metadata();
    expect([heat.format, heat.width, heat.channels]).toEqual(['png', 8, 4]);
    const got = await s.readImage(rec.id, 'heatmap');
    expect(got.mime).toBe('image/png');
  });

  it('keeps an encoded part\'s own bytes, and converts what a browser cannot show', async () => {
    const { dir, store: s } = await store();
    const [file] = await datasetImages('test/good', 1);
    const bytes = new Uint8Array(await readFile(file));
    const jpg = await s.save(part({ image: { kind: 'encoded', bytes, format: 'jpeg' } }));
    expect(Buffer.compare(await readFile(path.join(dir, jpg.imagePath)), Buffer.from(bytes))).toBe(0);
    const tiff = await sharp(bytes).tiff().toBuffer();
    const t = await s.save(part({ image: { kind: 'encoded', bytes: tiff, format: 'tiff' } }));
    expect(t.imagePath.endsWith('.png')).toBe(true);
    expect((await s.readImage(t.id, 'image')).mime).toBe('image/png');
  });

  it('filters by period, verdict, score range, model and label, newest first', async () => {
    const { store: s } = await store();
    const t = Date.UTC(2025, 0, 1);
    await s.save(part({ at: t, verdict: 'OK', normalizedScore: 0.5 }));
    const b = await s.save(part({ at: t + 1000, verdict: 'NG', normalizedScore: 1.5 }));
    await s.save(part({ at: t + 2000, verdict: 'NG', normalizedScore: 3, modelId: 'm2' }));
    expect(s.list({}).total).toBe(3);
    expect(s.list({ verdict: 'NG' }).items.map((r) => r.normalizedScore)).toEqual([3, 1.5]);
    expect(s.list({ scoreMin: 1, scoreMax: 2 }).items.map((r) => r.id)).toEqual([b.id]);
    expect(s.list({ modelId: 'm2' }).total).toBe(1);
    expect(s.list({ from: t + 500, to: t + 1500 }).items.map((r) => r.id)).toEqual([b.id]);
    await s.label(b.id, 'false_alarm', '  glare  ', 'operator');
    expect(s.list({ label: 'false_alarm' }).items[0]).toMatchObject({ id: b.id, reviewNote: 'glare', reviewedBy: 'operator' });
    expect(s.list({ label: 'unlabelled' }).total).toBe(2);
    expect(s.list({ limit: 1, offset: 1 }).items).toHaveLength(1);
    await expect(s.label(999, 'true_defect', undefined, 'operator')).rejects.toThrow(/No inspection record 999/);
  });

  it('hands out the id at once and makes readers of that id wait for the files', async () => {
    const { dir, store: s } = await store();
    const first = s.begin(part());
    const second = s.begin(part({ verdict: 'OK' }));
    expect(second.id).toBe(first.id + 1);
    expect(s.pendingWrites).toBe(2);
    const img = await s.readImage(second.id, 'image'); // waits for the write instead of failing
    expect(img.mime).toBe('image/jpeg');
    await Promise.all([first.saved, second.saved]);
    expect(s.pendingWrites).toBe(0);
    // A reopened store continues after the highest id ever used.
    const again = new RecordStore(db!, dir);
    const third = again.begin(part());
    expect(third.id).toBe(second.id + 1);
    await third.saved;
  });

  it('exports a period as CSV with quoting and formula-safe text', async () => {
    const { store: s } = await store();
    const t = Date.UTC(2025, 0, 1);
    const r = await s.save(part({ at: t, sourceName: '=cmd|"calc"' }));
    await s.label(r.id, 'true_defect', 'crack, near edge', 'engineer');
    await s.save(part({ at: t + 86_400_000 }));
    const { csv, rows } = s.exportCsv(t, t + 1000);
    expect(rows).toBe(1);
    const lines = csv.trim().split('\r\n');
    expect(lines[0].split(',')).toContain('review_label');
    expect(lines[1]).toContain(`"'=cmd|""calc"""`);
    expect(lines[1]).toContain('"crack, near edge"');
    expect(lines[1]).toContain('2025-01-01T00:00:00.000Z');
    expect(csvText('plain')).toBe('plain');
  });

  it('loses nothing committed and shows nothing half-written when the writer is killed mid-write', async () => {
    const dir = await tempDir('kill');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'electron/services/testing/record-writer.ts'), dir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const committed: number[] = [];
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        committed.push(...d.toString().split('\n').filter(Boolean).map(Number));
        // Kill at an arbitrary point well into the stream of writes.
        if (committed.length >= 40) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    expect(err).toBe('');
    db = openDatabase(path.join(dir, 'patchline.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const s = new RecordStore(db, dir);
    const all = s.list({ limit: 500 }).items;
    const ids = new Set(all.map((r) => r.id));
    for (const id of committed) expect(ids.has(id)).toBe(true);
    for (const r of all) {
      expect(existsSync(path.join(dir, r.imagePath))).toBe(true);
      await expect(sharp(path.join(dir, r.imagePath)).metadata()).resolves.toMatchObject({ format: 'jpeg' });
      await expect(sharp(path.join(dir, r.heatmapPath)).metadata()).resolves.toMatchObject({ format: 'png' });
    }
    await s.sweepTemp(); // leftovers of the interrupted write, if any, are cleared
  });
});
