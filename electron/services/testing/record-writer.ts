// TEST HELPER: writes inspection records in a tight loop and prints each committed id, so a test can kill it with
// SIGKILL at an arbitrary instant and check that nothing committed was lost and nothing half-written is visible.
import path from 'node:path';
import { openDatabase } from '../db';
import { RecordStore } from '../records';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: record-writer <data-dir>');
const db = openDatabase(path.join(dataDir, 'patchline.db'));
const store = new RecordStore(db, dataDir);
const W = 64;
const H = 48;
for (let i = 0; ; i++) {
  const data = new Uint8Array(W * H * 3).map((_, j) => (i * 7 + j) % 256);
  const rec = await store.save({
    at: Date.now(),
    source: 'camera',
    sourceName: `frame ${i}`,
    modelId: 'm',
    score: i,
    normalizedScore: i / 10,
    threshold: 10,
    verdict: i % 10 > 5 ? 'NG' : 'OK',
    latencyMs: 1,
    image: { kind: 'raw', image: { data, width: W, height: H, channels: 3 } },
    heatmap: new Uint8Array(16 * 16).fill(i % 256),
    heatmapWidth: 16,
    heatmapHeight: 16,
  });
  process.stdout.write(`${rec.id}\n`);
}
