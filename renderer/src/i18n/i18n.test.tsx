// Both languages have the same keys and placeholders, and no screen shows an English word when the UI is Chinese:
// every screen (and every panel of Inspect, the PIN dialog, toasts, the audit table, a failed screen) is rendered in
// zh-CN with a store full of data, and its visible text and text attributes are scanned for Latin words outside an
// allow-list of units, acronyms and the data itself.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider } from 'react-i18next';
import type { ReactNode } from 'react';
import en from './en.json';
import zhCN from './zh-CN.json';
import { createI18n, pickLanguage, type Language } from './index';
import { msg } from './message';
import { createStore } from 'zustand/vanilla';
import { createAppStore, type AppStore } from '../state/store';
import type { AppState } from '../state/types';
import { fakeClient, engineerStatus } from '../state/testing';
import { AppProvider } from '../lib/app-context';
import { CameraProvider } from '../lib/camera';
import { App } from '../App';
import { AuditTable } from '../screens/ModelsScreen';
import { ScreenError } from '../components/ErrorBoundary';
import type { Screen } from '../state/slices/ui';
import type { LiveSource } from '../state/slices/inspect';
import type { InspectionRecord, ModelDetail } from '../../../shared/domain';
import { DEFAULT_STATION_SETTINGS, mergeStationSettings } from '../../../shared/settings';

type Tree = { [k: string]: string | Tree };

function flatten(t: Tree, prefix = ''): Record<string, string> {
  return Object.fromEntries(Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? [[prefix + k, v]] : Object.entries(flatten(v, `${prefix}${k}.`)))));
}

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]).sort();

describe('locale files', () => {
  const e = flatten(en as Tree);
  const z = flatten(zhCN as Tree);

  it('have the same keys', () => {
    expect(Object.keys(z).sort()).toEqual(Object.keys(e).sort());
  });

  it('use the same placeholders in each text, and no text is empty', () => {
    for (const k of Object.keys(e)) {
      expect(e[k].trim(), k).not.toBe('');
      expect(z[k].trim(), k).not.toBe('');
      // A Chinese error text may leave out main's English detail ({{message}}) when it says the same itself.
      const wanted = placeholders(e[k]).filter((p) => !(k.startsWith('errors.') && p === 'message' && !z[k].includes('{{message')));
      expect(placeholders(z[k]).filter((p) => wanted.includes(p) || !k.startsWith('errors.')), k).toEqual(wanted);
    }
  });

  it('are really translated: a Chinese text equal to the English one is a unit, an acronym or a placeholder', () => {
    const same = Object.keys(e).filter((k) => e[k] === z[k] && /[A-Za-z]{3,}/.test(e[k].replace(/\{\{[^}]*\}\}/g, '')));
    expect(same).toEqual(['language.en', 'pin.pin']);
  });
});

describe('language choice', () => {
  it('keeps a stored choice, else follows the OS/browser: any zh-* is Chinese, else English', () => {
    expect(pickLanguage('en', ['zh-CN'])).toBe('en');
    expect(pickLanguage(null, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(pickLanguage(null, ['de-DE', 'en-GB'])).toBe('en');
    expect(pickLanguage('fr', ['fr-FR'])).toBe('en');
    expect(pickLanguage(undefined, [])).toBe('en');
  });
});

// ---- rendering every screen in Chinese ----

const now = new Date(2026, 2, 4, 9, 30, 0).getTime();
const heatmap = { width: 2, height: 2, data: new Uint8Array([0, 64, 128, 255]) };
const base = { at: now, sourceName: '零件 一号.png', modelId: 'm1', score: 2.5, normalizedScore: 1.25, threshold: 2, latencyMs: 42.5 };
const result = { ...base, recordId: 7, source: 'camera' as const, verdict: 'NG' as const, timings: { preprocessMs: 1, extractMs: 20, searchMs: 1, mapMs: 1, totalMs: 23 }, heatmap, imageWidth: 640, imageHeight: 480 };
const record: InspectionRecord = { ...base, id: 7, source: 'hotfolder', verdict: 'NG', imagePath: 'a', heatmapPath: 'b', reviewLabel: 'false_alarm', reviewNote: '边缘反光', reviewedAt: now, reviewedBy: 'engineer', addedToBank: false };
const summary = { id: 'm1', name: '二号线 磁瓦', createdAt: new Date(now).toISOString(), backbone: 'mobilenetv2-int8', bankVectors: 12345, dimension: 128, indexType: 'Flat', indexBytes: 6_400_000, threshold: 2, trainImages: 40, version: 2, active: true };
const detail: ModelDetail = {
  ...summary,
  calibration: { quantiles: { '0.5': 1.2, '0.99': 1.9 }, threshold: 2, images: 4, source: '留出' },
  training: { images: 40, patches: 31360, skipped: 0, source: '良品' },
  params: {},
  history: [
    { version: 1, createdAt: new Date(now).toISOString(), kind: 'fit', addedImages: 0, addedVectors: 0, bankVectors: 12000 },
    { version: 2, createdAt: new Date(now).toISOString(), kind: 'update', addedImages: 8, addedVectors: 345, bankVectors: 12345, source: '今天', rolledBack: true },
  ],
};
const sample = { at: now, windowSeconds: 60, parts: 100, latencyP50: 20, latencyP95: 30, latencyP99: 40, partsPerMinute: 90, ngRate: 0.02, dropped: 1, bankVectors: 12345, bankBytes: 6_400_000, indexType: 'Flat', modelId: 'm1', rssBytes: 300 * 2 ** 20, heapUsedBytes: 2 ** 20 };

function filledStore(): AppStore {
  const store = createAppStore({ client: fakeClient({}).client });
  store.setState({
    auth: engineerStatus,
    connection: { state: 'closed', reason: '网络' },
    models: [summary, { ...summary, id: 'm2', name: '三号线', active: false }],
    modelInfo: { m1: detail },
    selectedModelId: 'm1',
    training: { name: '二号线', folder: '良品', startedAt: now, progress: { phase: 'extract', done: 3, total: 40, etaSeconds: 75 }, controller: new AbortController() },
    trainResult: { ok: true, text: msg('models.trained', { name: '二号线', vectors: 12345 }) },
    updating: { modelId: 'm1', folder: '今天', startedAt: now, progress: { phase: 'coreset', done: 1, total: 8, etaSeconds: null }, controller: new AbortController() },
    versionResult: { modelId: 'm1', ok: true, text: msg('models.updatedSkipped', { version: 2, images: 8, vectors: 345, bank: 12345, skipped: 1 }) },
    current: { result, image: null },
    scored: 12,
    dropped: 1,
    feed: [
      { key: 'r7', at: now, name: '零件 一号.png', kind: 'result', verdict: 'NG', score: 1.25 },
      { key: 'e1', at: now, name: '坏 文件.png', kind: 'error', message: msg('errors.CANCELLED', { message: 'x' }) },
    ],
    hotFolder: { running: true, dir: 'D:\\检测\\相机', processed: 3, errors: 1, lastError: '坏 文件.png' },
    samples: [sample, { ...sample, at: now + 1000 }],
    thresholdModelId: 'm1',
    thresholdData: { modelId: 'm1', threshold: 2, calibratedThreshold: 1.9, quantiles: { '0.99': 1.9 }, scores: [{ score: 1, label: 0 }, { score: 1.5, label: 0 }, { score: 3, label: 1 }].map((s, i) => ({ ...s, recordId: i + 1 })) } as never,
    draftThreshold: 2.2,
    evaluation: { progress: { phase: 'score', done: 2, total: 6, etaSeconds: 3700 }, controller: new AbortController() },
    evaluationSummary: { modelId: 'm1', folder: '标注', images: 6, good: 3, defect: 3, skipped: 0, imageAuroc: 0.95 },
    reviewItems: [record, { ...record, id: 8, verdict: 'OK', reviewLabel: null, reviewedBy: null, reviewNote: null }],
    reviewTotal: 2,
    selectedRecordId: 7,
    toasts: [
      { id: 1, tone: 'ok', text: msg('review.markedFalseAlarm', { id: 7 }) },
      { id: 2, tone: 'error', text: msg('errors.NO_MODEL', { message: 'No model is loaded.' }) },
    ],
    pinDialog: { mode: 'setup', error: msg('pin.badFormat'), busy: false, reason: msg('pin.firstStart') },
    stationSettings: mergeStationSettings(DEFAULT_STATION_SETTINGS, { mqtt: { enabled: true }, sort: { enabled: true, okDir: 'D:\\检测\\良品', ngDir: 'D:\\检测\\不良' } }),
    stationStatus: {
      mqtt: { state: 'error', endpoint: 'mqtt://127.0.0.1:1883', error: 'MQTT broker mqtt://127.0.0.1:1883: connect ECONNREFUSED', queued: 3, published: 10 },
      opcua: { state: 'off', endpoint: null, error: null },
      modbus: { state: 'running', endpoint: '0.0.0.0:502', error: null },
      http: { state: 'starting', endpoint: null, error: null },
      sorting: { enabled: true, halted: null, pending: 0 },
      disk: { freeBytes: 50 * 2 ** 30, low: false, imagesBytes: 2 ** 30, warning: null },
      device: null,
    },
    httpToken: 'abc',
  });
  return store;
}

function render(node: ReactNode, lng: Language, store = filledStore(), camera = false): string {
  const i18n = createI18n(lng);
  // Server rendering reads a store's initial state (useSyncExternalStore's server snapshot): make the filled state the
  // initial state of the store rendered.
  const snapshot = store.getState();
  const rendered: AppStore = createStore<AppState>()(() => snapshot);
  return renderToStaticMarkup(
    <I18nextProvider i18n={i18n}>
      <AppProvider store={rendered} client={fakeClient({}).client}>
        {camera ? <CameraProvider>{node}</CameraProvider> : node}
      </AppProvider>
    </I18nextProvider>,
  );
}

/**
 * What a reader sees: text between tags and the text attributes (title, placeholder, alt, aria-label), unescaped.
 * Identifiers shown as code (class "mono": the audit log's contract method names) are data, not words.
 */
function visibleText(html: string): string[] {
  html = html.replace(/<(td|dd|code) class="mono[^"]*"[^>]*>[^<]*<\/\1>/g, '');
  const attrs = [...html.matchAll(/\s(?:title|placeholder|alt|aria-label)="([^"]*)"/g)].map((m) => m[1]);
  const text = html
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, '\n')
    .split('\n');
  return [...text, ...attrs].map((s) => s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').trim()).filter(Boolean);
}

/**
 * Latin words a Chinese screen may show: the verdicts, acronyms and protocol names the line uses as they are, units, the product's name,
 * and the data of the fixtures (backbone id, index type, the test model's id, file extensions, a drive letter).
 */
const ALLOWED = new Set(['OK', 'NG', 'PIN', 'PatchLine', 'AUROC', 'ROC', 'CSV', 'MVTec', 'AD', 'RSS', 'JS', 'MB', 'kB', 'GB', 'fps', 'test', 'good', 'train', 'mobilenetv2', 'int8', 'Flat', 'm1', 'p50', 'p95', 'p99', 'q0', 'English', 'v1', 'v2', 'png', 'D', 'MQTT', 'QoS', 'JSON', 'OPC', 'UA', 'Modbus', 'TCP', 'PLC', 'HTTP', 'MES']);

function latinWords(lines: string[]): string[] {
  return [...new Set(lines.flatMap((l) => l.match(/[A-Za-z][A-Za-z0-9]*/g) ?? []))].filter((w) => !ALLOWED.has(w) && !/^q\d/.test(w));
}

const SCREENS: Screen[] = ['inspect', 'dashboard', 'models', 'thresholds', 'review', 'settings'];
const SOURCES: LiveSource[] = ['camera', 'hotfolder', 'drop'];

describe('every screen in zh-CN', () => {
  const cases: [string, () => string][] = [
    ...SCREENS.map((screen): [string, () => string] => [
      screen,
      () => {
        const store = filledStore();
        store.setState({ screen });
        return render(<App />, 'zh-CN', store);
      },
    ]),
    ...SOURCES.map((source): [string, () => string] => [
      `inspect/${source}`,
      () => {
        const store = filledStore();
        store.setState({ screen: 'inspect', source, mode: source === 'camera' ? 'trigger' : 'continuous' });
        return render(<App />, 'zh-CN', store);
      },
    ]),
    ['inspect/continuous', () => render(<App />, 'zh-CN')],
    ['pin/unlock', () => {
      const store = filledStore();
      store.setState({ pinDialog: { mode: 'unlock', error: msg('errors.WRONG_PIN', { message: 'Wrong PIN.' }), busy: false, reason: msg('needsPin.threshold') } });
      return render(<App />, 'zh-CN', store);
    }],
    ['audit table', () => render(<AuditTable entries={[{ id: 1, at: now, role: 'engineer', action: 'models.train', target: '二号线', ok: true, details: null }, { id: 2, at: now, role: 'operator', action: 'auth.elevate', target: null, ok: false, details: null }]} />, 'zh-CN')],
    ['failed screen', () => render(<ScreenError screen="review" message="错误" onRetry={() => {}} />, 'zh-CN')],
  ];

  for (const [name, html] of cases) {
    it(`${name}: no English word outside the allow-list`, () => {
      const lines = visibleText(html());
      expect(lines.length).toBeGreaterThan(2);
      expect(latinWords(lines)).toEqual([]);
    });
  }

  it('the same screens in English do show English (the scan can fail)', () => {
    const store = filledStore();
    store.setState({ screen: 'models' });
    const words = latinWords(visibleText(render(<App />, 'en', store)));
    expect(words).toEqual(expect.arrayContaining(['Models', 'Train', 'Backbone', 'Engineer']));
  });

  it('numbers and dates follow the language', () => {
    const store = filledStore();
    store.setState({ screen: 'models' });
    const zh = render(<App />, 'zh-CN', store);
    const enHtml = render(<App />, 'en', store);
    expect(zh).toContain('2026/03/04 09:30:00');
    expect(enHtml).toContain('03/04/2026, 09:30:00 AM');
    expect(zh).toContain('剩余 1分钟15秒');
    expect(enHtml).toContain('1 min 15 sec left');
    expect(zh).toContain('12,345');
  });
});
