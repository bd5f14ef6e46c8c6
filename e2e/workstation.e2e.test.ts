// The workstation end to end: the headless host (same services and contract as the Electron app) in Debian's Chromium,
// with a fake camera playing real images. One operator's/engineer's day in order: first start and PIN, training (with
// long-task measurement), live camera, hot folder (with a corrupt file), dropped files, thresholds (refused without the
// PIN, then saved and audited), review (label found in SQLite), dashboard, settings (the HTTP results API switched on). Screenshots of every screen go to
// e2e/artifacts/.
import { describe, expect, it } from 'vitest';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import {
  cspViolations,
  dropFile,
  e2eEngine,
  e2eRun,
  longFrames,
  longTasks,
  longTasksObservable,
  setRange,
  tempDir,
  type BrowserSession,
  type Stack,
} from './support/harness';
import { writeY4m } from './support/y4m';
import { copyInto, datasetImages, goodFolder, labelledFolder } from '../electron/services/testing/fixtures';
import { DB_FILE } from '../electron/services/app';
import { freePort } from '../electron/services/testing/mosquitto';

const PIN = '2468';
/** This suite shares a 2-core machine with a CPU-bound engine: answers can take seconds. */
const SLOW = { timeout: 30_000, interval: 100 };
const engine = e2eEngine();
async function enterPin(pin: string) {
  await page.getByTestId('pin-input').fill(pin);
  await page.getByTestId('pin-submit').click();
}

function db() {
  return new Database(path.join(stack.dataDir, DB_FILE), { readonly: true, fileMustExist: true });
}

let stack: Stack;
let session: BrowserSession;
let page: Page;
const run = e2eRun({
  ready: (r) => ({ stack, session, page } = r),
  label: 'e2e',
  engineModule: engine.module,
  async video() {
    if (!engine.real) console.warn('[e2e] electron/engine/index.ts is not in this tree yet: the suite runs on the services\' engine test double.');
    const video = path.join(await tempDir('video'), 'camera.y4m');
    // A line camera's view: good tiles with a few defective ones among them.
    const good = await datasetImages('test/good', 8, 20);
    const bad = await datasetImages('test/crack', 3);
    await writeY4m(video, [good[0], good[1], bad[0], good[2], good[3], bad[1], good[4], good[5], bad[2], good[6]], {
      width: 640,
      height: 480,
      fps: 30,
      framesPerImage: 6,
    });
    return video;
  },
});
const { shot } = run;

describe('PatchLine workstation in Chromium (headless host)', () => {
  it('opens through the tokened URL, with a clean address and the PIN set-up at first start', async () => {
    expect(new URL(page.url()).search).toBe(''); // the token went into an HttpOnly cookie
    await expect.poll(() => page.getByTestId('pin-dialog').isVisible(), SLOW).toBe(true);
    await expect.poll(() => page.getByTestId('role').textContent(), SLOW).toBe('Operator');
    await shot('01-first-start-pin-setup');
    await page.getByTestId('pin-input').fill(PIN);
    await page.getByTestId('pin-confirm').fill(PIN);
    await page.getByTestId('pin-submit').click();
    await expect.poll(() => page.getByTestId('role').textContent(), SLOW).toBe('Engineer');
    const row = db().prepare("SELECT role, ok FROM audit WHERE action = 'auth.setupPin'").get();
    expect(row).toEqual({ role: 'engineer', ok: 1 });
  });

  it('trains a model from a folder with progress, and the window never blocks for more than 100 ms', async () => {
    const folder = await goodFolder(engine.real ? 40 : 30);
    await page.getByTestId('nav-models').click();
    await page.getByTestId('train-name').fill('Magnetic tile');
    await page.getByTestId('train-folder').fill(folder);
    const t0 = await page.evaluate<number>('performance.now()');
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress').waitFor({ state: 'visible' });
    await shot('02-models-training');
    await page.getByTestId('train-result').waitFor({ timeout: 240_000 });
    const t1 = await page.evaluate<number>('performance.now()');
    expect(await page.getByTestId('train-result').textContent()).toContain('trained');
    expect(await longTasksObservable(page)).toBe(true);
    const tasks = await longTasks(page);
    const during = tasks.filter((t) => t.start >= t0 && t.start <= t1);
    const worst = Math.max(0, ...during.map((t) => t.duration));
    console.log(`[e2e] training took ${((t1 - t0) / 1000).toFixed(1)} s; long tasks on the renderer's main thread: ${during.length}, longest ${worst.toFixed(0)} ms`);
    if (worst > 100) {
      const tasks = during.map((t) => `${((t.start - t0) / 1000).toFixed(2)} s: ${t.duration.toFixed(0)} ms`).join(', ');
      console.log(`[e2e] long tasks (from the start of training): ${tasks}\n[e2e] long frames: ${JSON.stringify(await longFrames(page))}`);
    }
    expect(worst).toBeLessThanOrEqual(100);
    await expect.poll(() => page.getByTestId('active-model').textContent(), SLOW).toContain('Magnetic tile');
    await page.getByTestId('model-row').first().click();
    await page.getByTestId('model-info').waitFor();
    expect(await page.getByTestId('info-backbone').textContent()).not.toBe('');
    await shot('03-models-info');
  });

  it('cancels a training from the window', async () => {
    await page.getByTestId('train-name').fill('Cancelled');
    await page.getByTestId('train-folder').fill(await goodFolder(120));
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress-cancel').click();
    await expect.poll(() => page.getByTestId('train-result').textContent(), SLOW).toBe('Training cancelled.');
    expect(await page.getByTestId('model-row').count()).toBe(1);
  });

  it('inspects live camera frames: a heatmap and a large verdict with latency', async () => {
    await page.getByTestId('nav-inspect').click();
    await page.getByTestId('source-camera').click();
    await page.getByTestId('camera-start').click();
    await expect.poll(() => page.getByTestId('camera-device').locator('option').count(), SLOW).toBeGreaterThan(0);
    await expect.poll(async () => Number(await page.getByTestId('scored').textContent()), { timeout: 60_000 }).toBeGreaterThanOrEqual(10);
    expect(['OK', 'NG']).toContain(await page.getByTestId('verdict').getAttribute('data-verdict'));
    expect(await page.getByTestId('live-part').getAttribute('data-has-heatmap')).toBe('yes');
    expect(await page.getByTestId('latency').textContent()).toMatch(/ms$/);
    await setRange(page, 'opacity', 0.7);
    await shot('04-inspect-live-camera');
    // Trigger mode: one part per press.
    await page.getByTestId('mode-trigger').click();
    await page.waitForTimeout(500);
    const before = Number(await page.getByTestId('scored').textContent());
    await page.getByTestId('trigger').click();
    await expect.poll(async () => Number(await page.getByTestId('scored').textContent()), SLOW).toBe(before + 1);
    await page.getByTestId('camera-stop').click();
    const rows = db().prepare("SELECT COUNT(*) AS n FROM inspections WHERE source = 'camera'").get() as { n: number };
    expect(rows.n).toBeGreaterThanOrEqual(11);
  });

  it('inspects through the hot folder; a corrupt image is a visible error and the stream goes on', async () => {
    const hot = await tempDir('hot');
    await page.getByTestId('source-hotfolder').click();
    await page.getByTestId('hotfolder-dir').fill(hot);
    await page.getByTestId('hotfolder-start').click();
    await expect.poll(() => page.getByTestId('hotfolder-status').textContent(), SLOW).toContain('Watching');
    const [g1, g2] = await datasetImages('test/good', 2, 40);
    const [b1] = await datasetImages('test/blowhole', 1, 5);
    await copyInto([g1, b1], hot);
    await expect.poll(() => page.getByTestId('feed-result').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await writeFile(path.join(hot, 'corrupt-part.png'), Buffer.from('this is not a PNG'));
    await expect.poll(() => page.getByTestId('feed-error').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('feed-error').textContent()).toContain('corrupt-part.png');
    await copyFile(g2, path.join(hot, 'after-the-error.jpg'));
    await expect.poll(() => page.getByTestId('feed-result').first().textContent(), { timeout: 30_000 }).toContain('after-the-error.jpg');
    await expect.poll(() => page.getByTestId('live-part').getAttribute('data-has-heatmap'), SLOW).toBe('yes');
    await shot('05-inspect-hot-folder');
    await page.getByTestId('hotfolder-stop').click();
    const n = db().prepare("SELECT COUNT(*) AS n FROM inspections WHERE source = 'hotfolder'").get() as { n: number };
    expect(n.n).toBe(3);
  });

  it('inspects files dropped on the window', async () => {
    const [file] = await datasetImages('test/fray', 1);
    await dropFile(page, path.basename(file), new Uint8Array(await readFile(file)), 'image/jpeg');
    await expect.poll(() => page.getByTestId('feed-result').first().textContent(), SLOW).toContain(path.basename(file));
    expect(await page.getByTestId('source-drop').getAttribute('aria-selected')).toBe('true');
    await shot('06-inspect-dropped-file');
  });

  it('an operator cannot change a threshold without the engineer PIN; an engineer tunes, saves, and it is audited', async () => {
    const modelId = (db().prepare('SELECT id FROM models WHERE active = 1').get() as { id: string }).id;
    await page.getByTestId('nav-thresholds').click();
    await page.getByTestId('evaluate-folder').fill(await labelledFolder(8, 8, 'blowhole'));
    await page.getByTestId('evaluate-start').click();
    await page.getByTestId('evaluate-summary').waitFor({ timeout: 120_000 });
    await page.getByTestId('chart-histogram').waitFor();
    await page.getByTestId('chart-roc').locator('svg').first().waitFor();
    const savedThreshold = () => (db().prepare('SELECT threshold FROM models WHERE id = ?').get(modelId) as { threshold: number }).threshold;
    const saved = savedThreshold();

    await page.getByTestId('lock').click();
    await expect.poll(() => page.getByTestId('role').textContent(), SLOW).toBe('Operator');
    // Drag to a point a third of the way up the slider's range (the range spans the scores seen).
    const slider = page.getByTestId('threshold-slider');
    const [lo, hi] = [Number(await slider.getAttribute('min')), Number(await slider.getAttribute('max'))];
    await setRange(page, 'threshold-slider', lo + (hi - lo) / 3);
    const target = Number(await slider.inputValue()); // as the browser snapped it to the slider's step
    expect(Math.abs(target - saved)).toBeGreaterThan((hi - lo) / 100);
    await expect.poll(() => page.getByTestId('false-reject-rate').textContent(), SLOW).toMatch(/%/);
    await page.getByTestId('threshold-save').click();
    await page.getByTestId('pin-dialog').waitFor();
    await enterPin('1111');
    await expect.poll(() => page.getByTestId('pin-error').textContent(), SLOW).toContain('Wrong PIN');
    await page.getByTestId('pin-cancel').click();
    expect(savedThreshold()).toBe(saved);
    await shot('07-thresholds-operator-refused');

    await page.getByTestId('threshold-save').click();
    await enterPin(PIN);
    await expect.poll(() => savedThreshold() !== saved, SLOW).toBe(true);
    expect(savedThreshold()).toBeCloseTo(target, 6);
    const audit = db().prepare("SELECT role, ok, target, details FROM audit WHERE action = 'thresholds.save' ORDER BY id DESC").get() as {
      role: string;
      ok: number;
      target: string;
      details: string;
    };
    expect(audit).toMatchObject({ role: 'engineer', ok: 1, target: modelId });
    expect(JSON.parse(audit.details).threshold).toBeCloseTo(target, 6);
    const denied = db().prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'auth.elevate' AND ok = 0").get() as { n: number };
    expect(denied.n).toBeGreaterThanOrEqual(1);
    await shot('08-thresholds-saved');
  });

  it('reviews a flagged part, and the label is in SQLite', async () => {
    await page.getByTestId('nav-review').click();
    await page.getByTestId('filter-verdict').selectOption('');
    await page.getByTestId('filter-apply').click();
    await expect.poll(() => page.getByTestId('review-item').count(), SLOW).toBeGreaterThan(0);
    const flagged = page.locator('[data-testid="review-item"]', { hasText: 'NG' });
    const item = (await flagged.count()) > 0 ? flagged.first() : page.getByTestId('review-item').first();
    const id = Number(await item.getAttribute('data-record-id'));
    await item.click();
    await page.getByTestId('detail-image').waitFor();
    await page.getByTestId('review-note').fill('glare on the edge, part is fine');
    await page.getByTestId('label-false-alarm').click();
    await expect.poll(() => page.getByTestId('detail-label').textContent(), SLOW).toContain('false alarm');
    const row = db().prepare('SELECT review_label, review_note, reviewed_by, reviewed_at FROM inspections WHERE id = ?').get(id) as Record<string, unknown>;
    expect(row).toMatchObject({ review_label: 'false_alarm', review_note: 'glare on the edge, part is fine', reviewed_by: 'engineer' });
    expect(row.reviewed_at).toBeGreaterThan(Date.now() - 120_000);
    await shot('09-review');
    // Confirmed false alarms go into the memory bank (an engineer action).
    const toasts = await page.getByTestId('toast-ok').count();
    await page.getByTestId('add-to-bank').click();
    await expect.poll(() => (db().prepare('SELECT added_to_bank FROM inspections WHERE id = ?').get(id) as { added_to_bank: number }).added_to_bank, {
      timeout: 60_000,
    }).toBe(1);
    // The window has taken the answer in (its toast), so what it shows next is after the bank change.
    await expect.poll(() => page.getByTestId('toast-ok').count(), SLOW).toBeGreaterThan(toasts);
  });

  it('updates the model with a new day of good images, shows the version history, and rolls back', async (ctx) => {
    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-row').first().click();
    await page.getByTestId('version-panel').waitFor();
    const vectors = async () => (await page.getByTestId('info-bank').textContent()) ?? '';
    const before = await vectors();
    const day = path.join(await tempDir('day'), 'good');
    await copyInto(await datasetImages('train/good', 8, 300), day);
    await page.getByTestId('update-folder').fill(day);
    await page.getByTestId('update-start').click();
    if (await page.getByTestId('pin-dialog').isVisible()) await enterPin(PIN);
    const result = page.getByTestId('version-result');
    await result.waitFor({ timeout: 180_000 });
    const text = (await result.textContent()) ?? '';
    if (/cannot update a model/.test(text)) {
      console.warn(`[e2e] SKIPPED model update/rollback: this engine has no incremental update (${text})`);
      ctx.skip();
    }
    expect(text).toMatch(/^Version \d+: \+8 images/);
    await expect.poll(() => page.locator('[data-testid="history-entry"][data-kind="update"]').count(), SLOW).toBe(1);
    expect(await vectors()).not.toBe(before);
    await shot('11-models-update');
    await page.getByTestId('rollback').click();
    await expect.poll(() => result.textContent(), SLOW).toMatch(/rolled back/);
    await expect.poll(() => page.locator('[data-testid="history-entry"][data-kind="rollback"]').count(), SLOW).toBe(1);
    expect(await vectors()).toBe(before);
    await shot('12-models-rolled-back');
  });

  it('shows the dashboard over time', async () => {
    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('chart-latency').locator('svg').first().waitFor();
    await expect.poll(() => page.getByTestId('card-bank').textContent(), SLOW).toContain('vectors');
    expect(await page.getByTestId('card-rss').textContent()).toMatch(/MB|GB/);
    await shot('10-dashboard');
  });

  it('switches the HTTP results API on from Settings with the PIN, and an MES reads the results with its token', async () => {
    if ((await page.getByTestId('role').textContent()) === 'Engineer') await page.getByTestId('lock').click();
    await page.getByTestId('nav-settings').click();
    await expect.poll(() => page.getByTestId('settings-http-state').textContent(), SLOW).toBe('off');
    const port = await freePort();
    await page.getByTestId('settings-http-port').fill(String(port));
    await page.getByTestId('settings-http-apply').click();
    await page.getByTestId('pin-dialog').waitFor();
    await enterPin(PIN);
    const saved = () => (JSON.parse((db().prepare("SELECT value FROM settings WHERE key = 'station'").get() as { value: string }).value) as { http: { enabled: boolean; port: number } }).http;
    await expect.poll(() => saved().port, SLOW).toBe(port);
    expect(saved().enabled).toBe(false);
    await page.getByTestId('settings-http-enabled').check();
    await expect.poll(() => page.getByTestId('settings-http-state').textContent(), SLOW).toBe('running');
    const endpoint = (await page.getByTestId('settings-http-endpoint').textContent())!;
    expect(endpoint).toBe(`http://127.0.0.1:${port}/api/results`);
    await page.getByTestId('settings-http-reveal').click();
    const token = (await page.getByTestId('settings-http-token').textContent())!;
    expect((await fetch(endpoint)).status).toBe(401);
    const res = await fetch(`${endpoint}?limit=5`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    await shot('13-settings-http-on');
    await page.getByTestId('settings-http-enabled').uncheck();
    await expect.poll(() => page.getByTestId('settings-http-state').textContent(), SLOW).toBe('off');
    await expect(fetch(endpoint)).rejects.toThrow();
  });

  it('ran without CSP violations or page errors', async () => {
    const csp = await cspViolations(page);
    expect(csp).toEqual([]);
    // Wrong-PIN and similar answers are handled; nothing uncaught may reach the console.
    expect(session.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
