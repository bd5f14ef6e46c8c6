// The services behind the contract, end to end through the contract server (with the engine test double in real
// worker threads): roles, auditing, training with progress and cancel, inspection, thresholds, review and records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createWorkstation, type Workstation } from './app';
import { createClient, type Client } from '../../shared/client';
import { serverMessageSchema, type ServerMessage } from '../../shared/protocol';
import { inMemoryBridge } from './testing/in-memory-bridge';
import { copyInto, datasetImages, fakeEngineModule, goodFolder, labelledFolder, tempDir } from './testing/fixtures';

let ws: Workstation;
let engineer: Client;
let operator: Client;
let modelId: string;

function connect(): Client {
  return createClient(inMemoryBridge(ws.server).bridge);
}

async function fileBytes(sub: string, i = 0): Promise<{ name: string; bytes: Uint8Array }> {
  const [f] = await datasetImages(sub, 1, i);
  return { name: path.basename(f), bytes: new Uint8Array(await readFile(f)) };
}

beforeAll(async () => {
  ws = await createWorkstation({ dataDir: await tempDir('ws'), engineModule: fakeEngineModule, validateOutputs: true, log: () => {} });
  engineer = connect();
  operator = connect();
});

afterAll(() => ws.close());

describe('contract boundary', () => {
  it('answers hello with the contract version', async () => {
    await expect(operator.call('app.hello', {})).resolves.toMatchObject({ contractVersion: 1 });
  });

  it('fails fast on unknown methods, wrong versions, malformed envelopes and bad payloads', async () => {
    const { bridge, sendRaw } = inMemoryBridge(ws.server);
    const got: ServerMessage[] = [];
    bridge.subscribe((m) => got.push(serverMessageSchema.parse(m)));
    sendRaw({ t: 'req', id: 1, v: 1, method: 'models.format', input: {} });
    sendRaw({ t: 'req', id: 2, v: 99, method: 'models.list', input: {} });
    sendRaw({ t: 'req', id: 3, v: 1, method: 'models.train', input: { name: '', folder: 5 } });
    sendRaw({ t: 'bogus', id: 4 });
    sendRaw({ t: 'sub', id: 5, v: 1, topic: 'nope', input: {} });
    await new Promise((r) => setTimeout(r, 20));
    const byId = new Map(got.map((m) => ['id' in m ? m.id : -1, m]));
    expect(byId.get(1)).toMatchObject({ t: 'err', error: { code: 'UNKNOWN_METHOD' } });
    expect(byId.get(2)).toMatchObject({ t: 'err', error: { code: 'VERSION_MISMATCH' } });
    const bad = byId.get(3);
    expect(bad).toMatchObject({ t: 'err', error: { code: 'BAD_REQUEST' } });
    expect(bad?.t === 'err' && bad.error.message).toMatch(/name.*folder|folder.*name/s);
    expect(byId.get(4)).toMatchObject({ t: 'err', error: { code: 'BAD_REQUEST' } });
    expect(byId.get(5)).toMatchObject({ t: 'end', error: { code: 'UNKNOWN_METHOD' } });
  });
});

describe('roles and PIN', () => {
  it('sets the PIN at first start, then refuses engineer actions without it and audits the attempt', async () => {
    await expect(operator.call('auth.status', {})).resolves.toMatchObject({ pinSet: false, role: 'operator' });
    await expect(operator.call('models.train', { name: 'x', folder: '/tmp' })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    const denied = ws.audit.list(5).find((a) => a.action === 'models.train');
    expect(denied).toMatchObject({ role: 'operator', ok: false });

    await expect(engineer.call('auth.setupPin', { pin: '2468' })).resolves.toMatchObject({ pinSet: true, role: 'engineer' });
    await expect(operator.call('auth.setupPin', { pin: '1111' })).rejects.toMatchObject({ code: 'CONFLICT' });
    // Another window is still an operator: roles belong to sessions.
    await expect(operator.call('auth.status', {})).resolves.toMatchObject({ role: 'operator' });
    await expect(operator.call('auth.elevate', { pin: '1357' })).rejects.toMatchObject({ code: 'WRONG_PIN', message: 'Wrong PIN.' });
    const wrong = ws.audit.list(5).find((a) => a.action === 'auth.elevate');
    expect(wrong).toMatchObject({ ok: false, role: 'operator' });
    expect(JSON.stringify(wrong?.details)).not.toContain('1357'); // PINs never reach the audit table
  });
});

describe('models', () => {
  it('trains from a folder with progress, becomes active, and is listed with its info', async () => {
    const progress: { phase: string; done: number; total: number }[] = [];
    const m = await engineer.call('models.train', { name: 'Tile A', folder: await goodFolder(12) }, { onProgress: (p) => progress.push(p) });
    modelId = m.id;
    expect(m).toMatchObject({ name: 'Tile A', active: true, trainImages: 12 });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ done: 12, total: 12 });
    expect(await operator.call('models.list', {})).toHaveLength(1);
    const info = await operator.call('models.info', { id: m.id });
    expect(info.calibration.threshold).toBeGreaterThan(0);
    expect(info.history[0].kind).toBe('fit');
    expect(ws.audit.list(10).some((a) => a.action === 'models.train' && a.ok && a.role === 'engineer' && a.target === 'Tile A')).toBe(true);
  });

  it('cancels a training on request and when its window closes, leaving no model behind', async () => {
    const ac = new AbortController();
    const folder = await goodFolder(60);
    const p = engineer.call('models.train', { name: 'cancel me', folder }, { signal: ac.signal, onProgress: (pr) => pr.done >= 2 && ac.abort() });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    // A second window elevates, starts training, and is closed mid-way.
    const { bridge, peer } = inMemoryBridge(ws.server);
    const win = createClient(bridge);
    await win.call('auth.elevate', { pin: '2468' });
    const q = win.call('models.train', { name: 'closed window', folder }, { onProgress: (pr) => pr.done >= 2 && peer.close() });
    q.catch(() => undefined); // its window is gone: nobody hears the answer
    await expect.poll(() => ws.models.isTraining, { timeout: 60_000 }).toBe(true);
    await ws.models.idle(); // the training behind it was cancelled, not left running
    expect(ws.models.isTraining).toBe(false);
    expect((await operator.call('models.list', {})).map((x) => x.name)).toEqual(['Tile A']);
    expect(await readdir(ws.models.modelsDir)).toEqual([modelId]);
  });

  it('refuses a folder that does not exist with a readable message', async () => {
    await expect(engineer.call('models.train', { name: 'x', folder: '/no/such/dir' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'Training folder not found: /no/such/dir',
    });
  });

  it('updates a model with a new day of good images (engineer, progress, cancel), then rolls it back', async () => {
    const day = path.join(await tempDir('day'), 'good');
    await copyInto(await datasetImages('train/good', 6, 200), day);
    const before = await operator.call('models.info', { id: modelId });
    await expect(operator.call('models.update', { id: modelId, folder: day })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    const ac = new AbortController();
    const cancelled = engineer.call('models.update', { id: modelId, folder: day }, { signal: ac.signal, onProgress: () => ac.abort() });
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect.poll(() => ws.models.isVersioning(modelId), { timeout: 30_000 }).toBe(false); // the job has stopped
    expect((await operator.call('models.info', { id: modelId })).bankVectors).toBe(before.bankVectors);

    const progress: number[] = [];
    const up = await engineer.call('models.update', { id: modelId, folder: day }, { onProgress: (p) => progress.push(p.done) });
    expect(progress.at(-1)).toBe(6);
    expect(up.version).toMatchObject({ kind: 'update', addedImages: 6, source: day });
    expect(up.model.bankVectors).toBeGreaterThan(before.bankVectors);
    expect(up.model.history.at(-1)?.version).toBe(up.version.version);
    expect(ws.metrics.sample().bankVectors).toBe(up.model.bankVectors); // the active model was reloaded

    const back = await engineer.call('models.rollback', { id: modelId });
    expect(back.version.kind).toBe('rollback');
    expect(back.model.bankVectors).toBe(before.bankVectors);
    expect(back.model.history.find((h) => h.version === up.version.version)?.rolledBack).toBe(true);
    await expect(engineer.call('models.rollback', { id: modelId })).rejects.toMatchObject({ code: 'ENGINE', message: /nothing to roll back/ });
    const actions = ws.audit.list(20).filter((a) => a.target === modelId || a.action.startsWith('models.'));
    expect(actions.some((a) => a.action === 'models.update' && a.ok)).toBe(true);
    expect(actions.some((a) => a.action === 'models.rollback' && a.ok)).toBe(true);
  });
});

describe('inspection', () => {
  it('scores a dropped file and a camera frame, records both with image and heatmap', async () => {
    const good = await fileBytes('test/good');
    const r = await operator.call('inspect.file', { name: good.name, bytes: good.bytes });
    expect(r).toMatchObject({ source: 'file', sourceName: good.name, modelId });
    expect(r.heatmap.data.length).toBe(r.heatmap.width * r.heatmap.height);
    // A camera frame as the live screen sends it: JPEG-encoded in the window.
    const { data, info } = await sharp(good.bytes).jpeg().toBuffer({ resolveWithObject: true });
    const f = await operator.call('inspect.file', { name: 'camera', bytes: new Uint8Array(data), source: 'camera' });
    expect(f).toMatchObject({ source: 'camera', imageWidth: info.width, imageHeight: info.height });
    await ws.records.settled(f.recordId); // the verdict comes back before its record is on disk
    const rec = ws.records.get(f.recordId);
    expect(existsSync(ws.records.absPath(rec.imagePath))).toBe(true);
    expect(existsSync(ws.records.absPath(rec.heatmapPath))).toBe(true);
  });

  it('calls a corrupt file BAD_IMAGE, naming it', async () => {
    await expect(operator.call('inspect.file', { name: 'junk.png', bytes: new Uint8Array([1, 2, 3, 4]) })).rejects.toMatchObject({
      code: 'BAD_IMAGE',
      message: expect.stringContaining('junk.png'),
    });
  });

  it('drops frames past the in-flight limit instead of queueing them', async () => {
    const frame = new Uint8Array(await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer());
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => operator.call('inspect.file', { name: 'camera', bytes: frame, source: 'camera' })));
    const busy = results.filter((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'BUSY');
    expect(busy.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(0);
    expect(ws.metrics.sample().dropped).toBeGreaterThanOrEqual(busy.length);
  });
});

describe('thresholds', () => {
  it('evaluates a labelled folder, shows both classes, and saves a threshold with an audit entry', async () => {
    await expect(operator.call('thresholds.evaluate', { modelId, folder: '/x' })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    const summary = await engineer.call('thresholds.evaluate', { modelId, folder: await labelledFolder(6, 6) });
    expect(summary).toMatchObject({ images: 12, good: 6, defect: 6, skipped: 0 });
    const data = await operator.call('thresholds.data', { modelId });
    expect(data.scores.filter((s) => s.label === 0 && s.origin === 'evaluation')).toHaveLength(6);
    expect(data.scores.filter((s) => s.label === 1)).toHaveLength(6);
    await expect(operator.call('thresholds.save', { modelId, threshold: 2 })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    const saved = await engineer.call('thresholds.save', { modelId, threshold: data.threshold * 0.5 });
    expect(saved.threshold).toBeCloseTo(data.threshold * 0.5);
    const entry = ws.audit.list(5).find((a) => a.action === 'thresholds.save');
    expect(entry).toMatchObject({ role: 'engineer', ok: true, target: modelId, details: { threshold: data.threshold * 0.5 } });
    expect(entry!.at).toBeGreaterThan(Date.now() - 60_000);
    // The next part is judged against the new threshold.
    const good = await fileBytes('test/good', 1);
    const r = await operator.call('inspect.file', { name: good.name, bytes: good.bytes });
    expect(r.threshold).toBeCloseTo(data.threshold * 0.5);
    expect((await operator.call('thresholds.data', { modelId })).calibratedThreshold).toBeCloseTo(data.calibratedThreshold);
  });
});

describe('review', () => {
  it('lists flagged parts, labels one with a note, and adds confirmed false alarms to the bank', async () => {
    const flagged = await operator.call('review.list', { verdict: 'NG', modelId });
    expect(flagged.total).toBeGreaterThan(0);
    const target = flagged.items[0];
    await expect(engineer.call('review.addToBank', { ids: [target.id] })).rejects.toMatchObject({ code: 'CONFLICT' });
    const labelled = await operator.call('review.label', { id: target.id, label: 'false_alarm', note: 'reflection' });
    expect(labelled).toMatchObject({ reviewLabel: 'false_alarm', reviewNote: 'reflection', reviewedBy: 'operator' });
    const row = ws.db.prepare('SELECT review_label, review_note FROM inspections WHERE id = ?').get(target.id);
    expect(row).toEqual({ review_label: 'false_alarm', review_note: 'reflection' });
    await expect(operator.call('review.addToBank', { ids: [target.id] })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    const before = (await operator.call('models.info', { id: modelId })).bankVectors;
    const added = await engineer.call('review.addToBank', { ids: [target.id] });
    expect(added).toMatchObject({ modelId, added: 1 });
    expect(added.bankVectors).toBeGreaterThan(before);
    expect(ws.records.get(target.id).addedToBank).toBe(true);
    expect((await operator.call('models.info', { id: modelId })).history.at(-1)?.kind).toBe('add-good');
    expect(ws.metrics.sample().bankVectors).toBe(added.bankVectors);
  });

  it('serves a record\'s image and heatmap, and exports the period as CSV', async () => {
    const { items } = await operator.call('review.list', { limit: 1 });
    const img = await operator.call('records.image', { id: items[0].id, kind: 'heatmap' });
    expect(img.mime).toBe('image/png');
    expect((await sharp(img.bytes).metadata()).format).toBe('png');
    const csv = await operator.call('records.exportCsv', { from: 0, to: Date.now() + 1000 });
    expect(csv.rows).toBe((await operator.call('review.list', {})).total);
    expect(csv.csv.split('\r\n')[0]).toMatch(/^id,time,source/);
    await expect(operator.call('records.exportCsv', { from: 10, to: 5 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('subscriptions', () => {
  it('streams metrics and hot folder events, and ends them when the window goes away', async () => {
    const { bridge, peer } = inMemoryBridge(ws.server);
    const c = createClient(bridge);
    const samples: number[] = [];
    c.subscribe('metrics.stream', {}, (s) => samples.push(s.parts));
    const events: string[] = [];
    c.subscribe('hotfolder.events', {}, (e) => events.push(e.kind));
    ws.metrics.tick();
    await new Promise((r) => setTimeout(r, 10));
    expect(samples.length).toBeGreaterThan(0);
    peer.close();
    const n = samples.length;
    ws.metrics.tick();
    await new Promise((r) => setTimeout(r, 10));
    expect(samples.length).toBe(n);
  });

  it('models.delete removes the folder and the listing (engineer only)', async () => {
    await expect(operator.call('models.delete', { id: modelId })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    await engineer.call('models.delete', { id: modelId });
    expect(await operator.call('models.list', {})).toEqual([]);
    expect(existsSync(path.join(ws.models.modelsDir, modelId))).toBe(false);
    await expect(operator.call('inspect.file', { name: 'x.png', bytes: (await fileBytes('test/good')).bytes })).rejects.toMatchObject({
      code: 'NO_MODEL',
    });
  });
});
