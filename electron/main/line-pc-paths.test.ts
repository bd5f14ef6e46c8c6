// Every path the desktop app touches, under folders named as on a Chinese line PC (spaces and CJK characters): the
// data folder and its SQLite database, the model folders, the record files, a hot folder and the file names in it,
// and the training and labelled folders. The workstation runs as in the app (the engine test double in real worker
// threads); the real engine with the packaged ONNX file under such a path is scripts/package.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createWorkstation, DB_FILE, type Workstation } from '../services/app';
import { createClient, type Client } from '../../shared/client';
import { inMemoryBridge } from '../services/testing/in-memory-bridge';
import { datasetImages, fakeEngineModule, tempDir } from '../services/testing/fixtures';
import type { HotFolderEvent } from '../../shared/domain';

let base: string;
let ws: Workstation;
let client: Client;
const dataDir = () => path.join(base, '检测 line', '数据 目录');

beforeAll(async () => {
  base = await tempDir('cjk');
  ws = await createWorkstation({ dataDir: dataDir(), engineModule: fakeEngineModule, hotFolderSettleMs: 50, log: () => {} });
  client = createClient(inMemoryBridge(ws.server).bridge);
  await client.call('auth.setupPin', { pin: '2468' });
});

afterAll(() => ws?.close());

async function copyAs(files: string[], dir: string, prefix: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return Promise.all(
    files.map(async (f, i) => {
      const to = path.join(dir, `${prefix} ${i} ${path.basename(f)}`);
      await copyFile(f, to);
      return to;
    }),
  );
}

describe('paths with spaces and CJK characters', () => {
  it('the database is in the data folder, in WAL mode', () => {
    const file = path.join(dataDir(), DB_FILE);
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('trains from a folder of good parts named in Chinese; the model folder lives in the data folder', async () => {
    const good = path.join(base, '二号线 良品', '今天 的 零件');
    await copyAs(await datasetImages('train/good', 8), good, '良品');
    const m = await client.call('models.train', { name: '二号线 磁瓦', folder: good });
    expect(m).toMatchObject({ name: '二号线 磁瓦', active: true, trainImages: 8 });
    expect(readdirSync(path.join(dataDir(), 'models')).length).toBeGreaterThan(0);
  });

  it('inspects a file with a Chinese name, and its image and heatmap come back from the record files', async () => {
    const [f] = await datasetImages('test/good', 1);
    const r = await client.call('inspect.file', { name: '零件 一号.jpg', bytes: new Uint8Array(await readFile(f)) });
    expect(r.sourceName).toBe('零件 一号.jpg');
    const img = await client.call('records.image', { id: r.recordId, kind: 'image' });
    expect(img.bytes.length).toBeGreaterThan(100);
    await expect(client.call('records.image', { id: r.recordId, kind: 'heatmap' })).resolves.toMatchObject({ mime: expect.stringMatching(/^image\//) });
    const csv = await client.call('records.exportCsv', { from: 0, to: Date.now() + 1000 });
    expect(csv.csv).toContain('零件 一号.jpg');
  });

  it('watches a hot folder under 检测 line and scores files named in Chinese', async () => {
    const hot = path.join(base, '检测 line', '相机 输出');
    await mkdir(hot, { recursive: true });
    const events: HotFolderEvent[] = [];
    const off = client.subscribe('hotfolder.events', {}, (e) => events.push(e));
    await client.call('hotfolder.start', { dir: hot });
    const files = await copyAs(await datasetImages('test/good', 2, 10), hot, '相机 图像');
    await expect.poll(() => events.filter((e) => e.kind === 'result').length, { timeout: 20_000 }).toBe(2);
    const names = events.flatMap((e) => (e.kind === 'result' ? [e.file] : [])).sort();
    expect(names).toEqual(files.map((f) => path.basename(f)).sort());
    await client.call('hotfolder.stop', {});
    off();
  });

  it('evaluates a labelled folder under such a path', async () => {
    const root = path.join(base, '标注 数据');
    await copyAs(await datasetImages('test/good', 3), path.join(root, 'test', 'good'), '好');
    await copyAs(await datasetImages('test/crack', 3), path.join(root, 'test', '裂纹 缺陷'), '坏');
    const modelId = (await client.call('models.list', {}))[0].id;
    const s = await client.call('thresholds.evaluate', { modelId, folder: root });
    expect(s).toMatchObject({ good: 3, defect: 3 });
  });
});
