// The e2e harness: the headless host (the same services and contract as the Electron app) on 127.0.0.1 with a fresh
// data folder, and Debian's Chromium driven by playwright-core with a fake camera fed from real images.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createWorkstation, type Workstation } from '../../electron/services/app';
import { startHost, type Host } from '../../electron/host/host';
import { fakeEngineModule, repoRoot } from '../../electron/services/testing/fixtures';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.join(repoRoot, 'e2e', 'artifacts');
export const RENDERER_DIR = path.join(repoRoot, 'dist', 'renderer');

/**
 * The real PatchCore engine once it is in the tree; until then the services' test double, said out loud.
 * PATCHLINE_E2E_ENGINE=fake forces the double; a file URL picks another engine module.
 */
export function e2eEngine(): { module: string; real: boolean } {
  const choice = process.env.PATCHLINE_E2E_ENGINE;
  if (choice && choice !== 'fake') return { module: choice, real: true };
  const real = path.join(repoRoot, 'electron', 'engine', 'index.ts');
  if (choice === 'fake' || !existsSync(real)) return { module: fakeEngineModule, real: false };
  return { module: pathToFileURL(real).href, real: true };
}

let built = false;
/** Builds the renderer once per run (a few seconds) so the suite never tests a stale bundle. */
export function buildRenderer(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-app.mjs'), '--renderer'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Renderer build failed:\n${r.stdout}\n${r.stderr}`);
  built = true;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `patchline-e2e-${prefix}-`));
}

export interface Stack {
  ws: Workstation;
  host: Host;
  dataDir: string;
  close(): Promise<void>;
}

export async function startStack(engineModule: string): Promise<Stack> {
  buildRenderer();
  const dataDir = await tempDir('data');
  // Every response is checked against the contract's output schema, with whichever engine the suite runs.
  const ws = await createWorkstation({ dataDir, engineModule, appVersion: 'e2e', validateOutputs: true, log: () => {} });
  const host = await startHost({ server: ws.server, rendererDir: RENDERER_DIR });
  return {
    ws,
    host,
    dataDir,
    async close() {
      await host.close();
      await ws.close();
    },
  };
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  consoleErrors: string[];
  close(): Promise<void>;
}

/** Chromium as the brief prescribes: headless, no GPU/network extras, fresh profile, fake camera from `videoFile`. */
export async function launchChromium(videoFile: string | null, opts: { locale?: string } = {}): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium).`);
  const profile = await tempDir('profile');
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    ...(videoFile
      ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${videoFile}`]
      : []),
  ];
  // playwright-core manages --user-data-dir itself for launch(); a persistent context takes it as the first argument.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: args.filter((a) => !a.startsWith('--user-data-dir')),
    viewport: { width: 1440, height: 900 },
    permissions: ['camera'],
    // The UI's language follows navigator.languages at first start: set it, so the run does not depend on the machine.
    locale: opts.locale ?? 'en-US',
  });
  windowPriority(profile);
  const browser = context.browser() as Browser;
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  await context.addInitScript({ content: INIT_SCRIPT });
  return {
    browser,
    context,
    page,
    consoleErrors,
    async close() {
      await context.close();
    },
  };
}

/**
 * The browser at normal priority, like a window on a line PC, even when the suite itself runs under `nice` (the window
 * would otherwise rank below every unrelated process while a training runs). Chromium's zygotes are included, so the
 * renderers they fork later inherit it. Linux only, and only where this process may raise priorities; else a no-op.
 */
function windowPriority(profile: string): void {
  if (process.platform !== 'linux') return;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = (() => {
      try {
        return readFileSync(`/proc/${name}/cmdline`, 'utf8');
      } catch {
        return ''; // exited meanwhile
      }
    })();
    if (!cmdline.includes(profile)) continue;
    // Linux keeps a nice value per thread.
    for (const tid of readdirSync(`/proc/${name}/task`, { withFileTypes: false }).map(Number)) {
      try {
        setPriority(tid, 0);
      } catch {
        return; // not permitted here: the browser keeps the suite's priority
      }
    }
  }
}

// Runs in the page before its own scripts: records long tasks (PerformanceObserver) and CSP violations, and, to say
// what a long task was, long animation frames with the scripts that ran in them and how long the frame waited.
// Browser code is kept as text: this file is type-checked for Node, without DOM types.
const INIT_SCRIPT = `
  window.__longTasks = [];
  window.__loaf = [];
  window.__csp = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {}
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration < 100) continue;
        window.__loaf.push({
          start: e.startTime,
          duration: e.duration,
          blockingDuration: e.blockingDuration,
          renderStart: e.renderStart - e.startTime,
          styleAndLayoutStart: e.styleAndLayoutStart - e.startTime,
          scripts: e.scripts.map((s) => ({ invoker: s.invoker, source: (s.sourceURL || '').split('/').pop() + ':' + s.sourceFunctionName, duration: s.duration, forcedStyleAndLayout: s.forcedStyleAndLayoutDuration })),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch (e) {}
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  // The NG alert's beeps: each starts oscillators (a headless browser has no speaker to listen to).
  window.__beeps = 0;
  try {
    const create = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
      window.__beeps++;
      return create.call(this);
    };
  } catch (e) {}
`;

export interface LongTask {
  start: number;
  duration: number;
}

export function longTasks(page: Page): Promise<LongTask[]> {
  return page.evaluate<LongTask[]>('window.__longTasks');
}

/** Long animation frames (≥ 100 ms) with the scripts that ran in them: what a long task was made of. */
export function longFrames(page: Page): Promise<unknown[]> {
  return page.evaluate<unknown[]>('window.__loaf');
}

/** Whether this Chromium reports long tasks at all (otherwise "no long task" would prove nothing). */
export function longTasksObservable(page: Page): Promise<boolean> {
  return page.evaluate<boolean>("PerformanceObserver.supportedEntryTypes.includes('longtask')");
}

/** Oscillators the page started: two per NG beep (lib/alerts.ts). */
export function beeps(page: Page): Promise<number> {
  return page.evaluate<number>('window.__beeps');
}

export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.__csp');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await mkdir(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs browser code (kept as text, see INIT_SCRIPT) with a JSON argument. */
function callInPage<T>(page: Page, fn: string, arg: unknown): Promise<T> {
  return page.evaluate<T>(`(${fn})(${JSON.stringify(arg)})`);
}

/** Sets an <input type=range> the way a drag does (React listens for the native input event). */
export async function setRange(page: Page, testId: string, value: number): Promise<void> {
  await callInPage(
    page,
    `({ testId, v }) => {
      const input = document.querySelector('[data-testid="' + testId + '"]');
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, String(v));
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }`,
    { testId, v: value },
  );
}

/** Drops a file on the window the way a user's drag and drop does. */
export async function dropFile(page: Page, name: string, bytes: Uint8Array, type: string): Promise<void> {
  await callInPage(
    page,
    `({ name, data, type }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name, { type }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }`,
    { name, data: [...bytes], type },
  );
}

export interface E2eRun {
  stack: Stack;
  session: BrowserSession;
  page: Page;
  /** Screenshot names taken so far (listed when the run ends). */
  shots: string[];
  shot(name: string): Promise<void>;
}

/**
 * One suite's stack and browser, set up in beforeAll and closed in afterAll; a failed test leaves a screenshot of the
 * window beside the screens' ones. `dir` is a sub-folder of e2e/artifacts (e.g. zh-CN).
 */
export function e2eRun(opts: { label: string; engineModule: string; video: () => Promise<string>; locale?: string; dir?: string; ready?: (run: E2eRun) => void }): E2eRun {
  const prefix = opts.dir ? `${opts.dir}/` : '';
  const run = {
    shots: [] as string[],
    async shot(name: string) {
      run.shots.push(path.basename(await screenshot(run.page, `${prefix}${name}`)));
    },
  } as E2eRun;
  beforeAll(async () => {
    const video = await opts.video();
    run.stack = await startStack(opts.engineModule);
    run.session = await launchChromium(video, { locale: opts.locale });
    run.page = run.session.page;
    await run.page.goto(run.stack.host.openUrl);
    opts.ready?.(run);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && run.page) await run.shot(`failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`);
  });
  afterAll(async () => {
    await run.session?.close();
    await run.stack?.close();
    console.log(`[${opts.label}] screenshots in e2e/artifacts/${prefix}: ${run.shots.join(', ')}`);
  });
  return run;
}
