import { describe, expect, it } from 'vitest';
import { text } from '../i18n/testing';
import { createAppStore } from './store';
import { SAMPLES_MAX } from './slices/dashboard';
import { staleModelInfo } from './slices/models';
import { engineerStatus, fakeClient } from './testing';
import { AppError } from '../../../shared/errors';
import type { CallOptions } from '../../../shared/client';
import type { InspectionResult, MetricsSample } from '../../../shared/domain';
import { DEFAULT_STATION_SETTINGS, mergeStationSettings } from '../../../shared/settings';
import { soundOnNG } from './selectors';

function result(id: number, verdict: 'OK' | 'NG' = 'OK'): InspectionResult {
  return {
    recordId: id,
    at: 1000 + id,
    source: 'camera',
    sourceName: 'cam',
    modelId: 'm',
    score: 1,
    normalizedScore: verdict === 'NG' ? 1.5 : 0.5,
    threshold: 1,
    verdict,
    latencyMs: 20,
    timings: { preprocessMs: 1, extractMs: 1, searchMs: 1, mapMs: 1, totalMs: 4 },
    heatmap: { width: 2, height: 2, data: new Uint8Array(4) },
    imageWidth: 4,
    imageHeight: 4,
  };
}

describe('models slice', () => {
  it('tracks training progress and cancels through the request signal', async () => {
    let signal: AbortSignal | undefined;
    let report: ((p: { phase: string; done: number; total: number; etaSeconds: number | null }) => void) | undefined;
    const { client } = fakeClient({
      'models.train': (_i: never, opts: CallOptions) => {
        signal = opts.signal;
        report = opts.onProgress;
        return new Promise((_, reject) => opts.signal?.addEventListener('abort', () => reject(new AppError('CANCELLED', 'Cancelled.'))));
      },
    });
    const store = createAppStore({ client, now: () => 42 });
    store.setState({ auth: engineerStatus });
    const done = store.getState().train({ name: 'm', folder: '/good' });
    await Promise.resolve();
    expect(store.getState().training).toMatchObject({ name: 'm', startedAt: 42, progress: null });
    report?.({ phase: 'extract', done: 5, total: 20, etaSeconds: 3 });
    expect(store.getState().training?.progress).toMatchObject({ done: 5, etaSeconds: 3 });
    store.getState().cancelTraining();
    expect(signal?.aborted).toBe(true);
    await done;
    expect(store.getState().training).toBeNull();
    expect(store.getState().trainResult?.ok).toBe(false);
    expect(text(store.getState().trainResult?.text)).toBe('Training cancelled.');
    expect(text(store.getState().trainResult?.text, 'zh-CN')).toBe('训练已取消。');
  });

  it('lists and selects models, dropping a selection that disappeared', async () => {
    let list = [{ id: 'a' }, { id: 'b' }];
    const { client } = fakeClient({ 'models.list': () => list, 'models.info': ({ id }: { id: string }) => ({ id, detail: true }) });
    const store = createAppStore({ client });
    await store.getState().refreshModels();
    await store.getState().selectModel('b');
    expect(store.getState().modelInfo.b).toMatchObject({ detail: true });
    list = [{ id: 'a' }];
    await store.getState().refreshModels();
    expect(store.getState().selectedModelId).toBeNull();
  });

  it('does not show details a bank change made stale: add-to-bank forgets them, a refreshed list refetches them', async () => {
    let bank = 3136;
    const summary = () => ({ id: 'a', version: bank === 3136 ? 1 : 2, bankVectors: bank, indexBytes: bank * 512, threshold: 2, active: true });
    let infoCalls = 0;
    const { client } = fakeClient({
      'models.list': () => [summary()],
      'models.info': () => (infoCalls++, { ...summary(), detail: true }),
      'review.addToBank': () => ((bank = 3214), { modelId: 'a', added: 1, bankVectors: bank, version: {} }),
      'review.list': () => ({ items: [], total: 0 }),
    });
    const store = createAppStore({ client });
    await store.getState().refreshModels();
    await store.getState().selectModel('a');
    expect(store.getState().modelInfo.a.bankVectors).toBe(3136);
    // Elsewhere (the review screen) a part goes into the bank; the cached details must not outlive that.
    store.setState({ auth: engineerStatus });
    await store.getState().addFalseAlarmsToBank([1]);
    expect(store.getState().modelInfo.a.bankVectors).toBe(3214);
    // A list that disagrees with a cached detail (changed by another window) drops it and refetches the selected one.
    bank = 4000;
    const before = infoCalls;
    await store.getState().refreshModels();
    expect(infoCalls).toBe(before + 1);
    expect(store.getState().modelInfo.a.bankVectors).toBe(4000);
  });

  it('staleModelInfo names the details that disagree with the list', () => {
    const m = { id: 'a', version: 2, bankVectors: 10, indexBytes: 5, threshold: 1, active: true };
    const info = { a: { ...m }, b: { ...m, id: 'b' }, c: { ...m, id: 'c', version: 1 } };
    expect(staleModelInfo([m, { ...m, id: 'c' }] as never, info as never)).toEqual(['b', 'c']);
  });

  it('updates a model with progress and cancel, then shows the new version and a rollback', async () => {
    let report: ((p: { phase: string; done: number; total: number; etaSeconds: number | null }) => void) | undefined;
    let finish: ((v: unknown) => void) | undefined;
    const version = { version: 2, createdAt: '', kind: 'update', addedImages: 6, addedVectors: 470, bankVectors: 5000 };
    let bank = 5000;
    const { client, calls } = fakeClient({
      'models.update': (_i: never, opts: CallOptions) => {
        report = opts.onProgress;
        return new Promise((resolve, reject) => {
          finish = resolve;
          opts.signal?.addEventListener('abort', () => reject(new AppError('CANCELLED', 'Cancelled.')));
        });
      },
      'models.rollback': () => ((bank = 4530), { model: { id: 'm', name: 'M', bankVectors: 4530 }, version: { ...version, version: 3, kind: 'rollback', bankVectors: 4530, note: 'rolled back version 2 to version 1' } }),
      // The list agrees with what the update and the rollback answered.
      'models.list': () => [{ id: 'm', name: 'M', bankVectors: bank }],
    });
    const store = createAppStore({ client });
    store.setState({ auth: engineerStatus });
    const cancelled = store.getState().updateModel('m', '/day');
    await Promise.resolve();
    report?.({ phase: 'update', done: 2, total: 6, etaSeconds: 4 });
    expect(store.getState().updating).toMatchObject({ modelId: 'm', folder: '/day', progress: { done: 2 } });
    store.getState().cancelUpdate();
    await cancelled;
    expect(store.getState().updating).toBeNull();
    expect(store.getState().versionResult).toMatchObject({ modelId: 'm', ok: false });
    expect(text(store.getState().versionResult?.text)).toBe('Update cancelled; the model is unchanged.');

    const done = store.getState().updateModel('m', '/day');
    await Promise.resolve();
    finish?.({ model: { id: 'm', name: 'M', bankVectors: 5000 }, version, skipped: 1 });
    await done;
    expect(text(store.getState().versionResult?.text)).toBe('Version 2: +6 images, +470 vectors (bank 5,000), 1 unreadable image(s) skipped.');
    expect(store.getState().modelInfo.m).toMatchObject({ bankVectors: 5000 });

    await store.getState().rollbackModel('m');
    expect(store.getState().versionResult?.ok).toBe(true);
    expect(text(store.getState().versionResult?.text)).toBe('rolled back version 2 to version 1: bank 4,530 vectors.');
    expect(calls.filter((c) => c.method === 'models.rollback')).toEqual([{ method: 'models.rollback', input: { id: 'm' } }]);
    expect(store.getState().modelInfo.m).toMatchObject({ bankVectors: 4530 });
  });
});

describe('inspect slice', () => {
  it('counts a BUSY refusal as a dropped frame, not an error', async () => {
    let busy = true;
    const { client } = fakeClient({
      'inspect.file': () => {
        if (busy) throw new AppError('BUSY', 'full');
        return result(7, 'NG');
      },
    });
    const store = createAppStore({ client });
    const frame = new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);
    await store.getState().inspectCameraFrame(frame, null);
    expect(store.getState()).toMatchObject({ dropped: 1, scored: 0, toasts: [] });
    busy = false;
    await store.getState().inspectCameraFrame(frame, null);
    expect(store.getState().scored).toBe(1);
    expect(store.getState().current?.result.verdict).toBe('NG');
    expect(store.getState().recentAt).toEqual([1007]);
  });

  it('shows hot folder errors in the feed and keeps going', () => {
    const { client } = fakeClient({ 'records.image': () => new Promise(() => {}) });
    const store = createAppStore({ client });
    store.getState().setSource('hotfolder');
    store.getState().onHotFolderEvent({ kind: 'error', file: 'broken.png', at: 5, message: 'Could not read image "broken.png"' });
    store.getState().onHotFolderEvent({ kind: 'result', file: 'good.png', result: result(3) });
    const feed = store.getState().feed;
    expect(feed.map((f) => f.kind)).toEqual(['result', 'error']);
    expect(feed[1].name).toBe('broken.png');
    expect(text(feed[1].message)).toContain('Could not read');
    expect(store.getState().hotFolder).toMatchObject({ errors: 1, processed: 1 });
    expect(store.getState().current?.result.recordId).toBe(3);
  });

  it('bounds the feed', () => {
    const { client } = fakeClient({});
    const store = createAppStore({ client });
    for (let i = 0; i < 80; i++) store.getState().onHotFolderEvent({ kind: 'error', file: `f${i}`, at: i, message: 'x' });
    expect(store.getState().feed).toHaveLength(50);
    expect(store.getState().feed[0].name).toBe('f79');
  });

  it('clamps rate and opacity', () => {
    const store = createAppStore({ client: fakeClient({}).client });
    store.getState().setRate(100);
    store.getState().setOpacity(-1);
    expect(store.getState()).toMatchObject({ rate: 30, opacity: 0 });
  });
});

describe('dashboard slice', () => {
  it('keeps a bounded, de-duplicated series', async () => {
    const sample = (at: number) => ({ at }) as MetricsSample;
    const { client } = fakeClient({ 'metrics.history': () => [sample(1), sample(2)] });
    const store = createAppStore({ client });
    store.getState().pushSample(sample(2));
    store.getState().pushSample(sample(3));
    await store.getState().loadMetricsHistory();
    expect(store.getState().samples.map((s) => s.at)).toEqual([1, 2, 3]);
    for (let i = 0; i < SAMPLES_MAX + 10; i++) store.getState().pushSample(sample(100 + i));
    expect(store.getState().samples).toHaveLength(SAMPLES_MAX);
  });
});

describe('thresholds slice', () => {
  it('saves the draft threshold as engineer and reloads', async () => {
    let saved: unknown;
    const data = { modelId: 'm', threshold: 2, calibratedThreshold: 2, quantiles: {}, scores: [] };
    const { client } = fakeClient({
      'thresholds.data': () => data,
      'thresholds.save': (i: { threshold: number }) => {
        saved = i;
        data.threshold = i.threshold;
        return { name: 'm', threshold: i.threshold };
      },
      'models.list': () => [],
    });
    const store = createAppStore({ client });
    store.setState({ auth: engineerStatus });
    await store.getState().loadThresholds('m');
    store.getState().setDraftThreshold(-3);
    expect(store.getState().draftThreshold).toBeNull();
    store.getState().setDraftThreshold(2.5);
    await store.getState().saveThreshold();
    expect(saved).toEqual({ modelId: 'm', threshold: 2.5 });
    expect(store.getState().thresholdData?.threshold).toBe(2.5);
    expect(store.getState().draftThreshold).toBeNull();
  });
});

describe('station slice', () => {
  const saved = mergeStationSettings(DEFAULT_STATION_SETTINGS, { mqtt: { enabled: true, url: 'mqtt://10.0.0.5:1883' } });

  it('sends an engineer one section patch and keeps what main answers; asks for the PIN first when locked', async () => {
    const { client, calls } = fakeClient({
      'settings.set': (patch: never) => mergeStationSettings(saved, patch),
      'station.status': () => null,
    });
    const store = createAppStore({ client });
    store.setState({ stationSettings: saved, auth: { ...engineerStatus, role: 'operator', engineerUntil: null } });
    expect(await store.getState().saveStationSettings({ mqtt: { topic: 'line3' } })).toBe(false);
    expect(store.getState().pinDialog?.mode).toBe('unlock');
    expect(calls.filter((c) => c.method === 'settings.set')).toHaveLength(0);

    store.setState({ auth: engineerStatus, pinDialog: null });
    expect(await store.getState().saveStationSettings({ mqtt: { topic: 'line3' } })).toBe(true);
    expect(calls.find((c) => c.method === 'settings.set')?.input).toEqual({ mqtt: { topic: 'line3' } });
    expect(store.getState().stationSettings?.mqtt).toEqual({ enabled: true, url: 'mqtt://10.0.0.5:1883', topic: 'line3' });
    expect(text(store.getState().toasts.at(-1)!.text)).toBe('Settings applied.');
  });

  it('names main’s refusal and keeps the settings as they were', async () => {
    const { client } = fakeClient({
      'settings.set': () => {
        throw new AppError('BAD_REQUEST', 'http.port: Too big: expected number to be <=65535');
      },
      'station.status': () => null,
    });
    const store = createAppStore({ client });
    store.setState({ stationSettings: saved, auth: engineerStatus });
    expect(await store.getState().saveStationSettings({ http: { port: 70000 } })).toBe(false);
    expect(store.getState().stationSettings).toBe(saved);
    expect(text(store.getState().toasts.at(-1)!.text)).toContain('http.port');
  });

  it('switches the NG sound for the operator, and undoes the switch when main refuses', async () => {
    let fail = false;
    const { client, calls } = fakeClient({
      'settings.setAlerts': (a: never) => {
        if (fail) throw new AppError('INTERNAL', 'disk full');
        return mergeStationSettings(saved, { alerts: a });
      },
    });
    const store = createAppStore({ client });
    store.setState({ stationSettings: saved });
    expect(soundOnNG(store.getState().stationSettings)).toBe(true);
    await store.getState().setSoundOnNG(false);
    expect(calls.at(-1)).toEqual({ method: 'settings.setAlerts', input: { soundOnNG: false } });
    expect(soundOnNG(store.getState().stationSettings)).toBe(false);
    fail = true;
    const before = store.getState().stationSettings;
    await store.getState().setSoundOnNG(true);
    expect(store.getState().stationSettings).toBe(before);
    expect(soundOnNG(store.getState().stationSettings)).toBe(false);
  });
});

describe('training options', () => {
  it('passes the self-configuration switch to models.train (main defaults it to on)', async () => {
    const model = { id: 'm', name: 'M', bankVectors: 1 };
    const { client, calls } = fakeClient({ 'models.train': () => model, 'models.list': () => [] });
    const store = createAppStore({ client });
    store.setState({ auth: engineerStatus });
    await store.getState().train({ name: 'M', folder: '/good', auto: false });
    await store.getState().train({ name: 'M', folder: '/good' });
    const inputs = calls.filter((c) => c.method === 'models.train').map((c) => c.input);
    expect(inputs).toEqual([{ name: 'M', folder: '/good', auto: false }, { name: 'M', folder: '/good' }]);
  });
});
