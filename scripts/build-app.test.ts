// The Electron bundles cannot be run here (no Electron binary), so this builds them and loads them against a stand-in
// `electron` module: the preload must expose exactly { send, subscribe }; main must register the app:// scheme, turn
// on the sandbox and wait for `ready` before touching anything else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function build(): Promise<string> {
  // Inside the checkout (dist/ is ignored), so the bundles' external packages resolve from its node_modules.
  await mkdir(path.join(root, 'dist'), { recursive: true });
  out = await mkdtemp(path.join(root, 'dist', 'test-build-'));
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-app.mjs'), '--electron', '--out', out], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return path.join(out, 'electron');
}

let out = '';
let dir: string;
beforeAll(async () => {
  dir = await build();
});
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('Electron bundles', () => {
  it('builds main, preload and the engine worker', async () => {
    for (const f of ['main.cjs', 'preload.cjs', 'engine-worker.mjs']) expect(existsSync(path.join(dir, f)), f).toBe(true);
    // Native modules stay outside the bundle (they are unpacked from the asar archive).
    const main = readFileSync(path.join(dir, 'main.cjs'), 'utf8');
    expect(main).toMatch(/require\("better-sqlite3"\)/);
    expect(main).toMatch(/require\("sharp"\)/);
  });

  it('the bundled engine worker serves a model (built engine module: the services\' test double)', async () => {
    const { build: esbuild } = await import('esbuild');
    const fake = path.join(dir, 'fake-engine.mjs');
    await esbuild({
      entryPoints: [path.join(root, 'electron/services/testing/fake-engine.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['sharp'],
      outfile: fake,
      logLevel: 'silent',
    });
    const { EngineWorker } = await import('../electron/services/worker/engine-client');
    const { goodFolder, tempDir, datasetImages } = await import('../electron/services/testing/fixtures');
    const w = new EngineWorker('bundled', pathToFileURL(fake).href, { entry: path.join(dir, 'engine-worker.mjs') });
    try {
      const out = path.join(await tempDir('bundled'), 'm');
      const fit = await w.engine.fit({ data: await goodFolder(4), out });
      expect(fit.manifest.training.images).toBe(4);
      await w.load('m', out);
      const [img] = await datasetImages('test/good', 1);
      const p = await w.model('m').inspect({ kind: 'file', path: img }, { imageSize: { width: 200, height: 100 }, heatmapMax: 50 });
      expect([p.heatmapWidth, p.heatmapHeight]).toEqual([50, 25]);
    } finally {
      await w.close();
    }
  });

  it('the preload exposes only send and subscribe on one channel', async () => {
    const exposed: Record<string, unknown> = {};
    const sent: unknown[][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
      ipcRenderer: { send: (...a: unknown[]) => sent.push(a), on: () => undefined, removeListener: () => undefined },
    };
    const code = readFileSync(path.join(dir, 'preload.cjs'), 'utf8');
    const req = (id: string) => {
      if (id === 'electron') return electron;
      throw new Error(`the sandboxed preload may only require electron, not ${id}`);
    };
    vm.runInNewContext(code, { require: req, module: { exports: {} }, exports: {}, console });
    expect(Object.keys(exposed)).toEqual(['patchline']);
    const api = exposed.patchline as { send(m: unknown): void; subscribe(l: () => void): () => void };
    expect(Object.keys(api).sort()).toEqual(['send', 'subscribe']);
    api.send({ t: 'req', id: 1 });
    expect(sent).toEqual([['patchline:contract', { t: 'req', id: 1 }]]);
    expect(typeof api.subscribe(() => undefined)).toBe('function');
  });

  it('main registers app:// and the sandbox, then waits for ready', async () => {
    const calls: string[] = [];
    const electron = {
      app: {
        enableSandbox: () => calls.push('enableSandbox'),
        whenReady: () => {
          calls.push('whenReady');
          return new Promise(() => {}); // never ready: nothing else may run
        },
        on: (ev: string) => calls.push(`on:${ev}`),
      },
      protocol: { registerSchemesAsPrivileged: (s: { scheme: string; privileges: Record<string, boolean> }[]) => calls.push(`scheme:${s[0].scheme}:${s[0].privileges.secure}`) },
      BrowserWindow: class {},
      ipcMain: {},
      session: {},
    };
    const load = (Module as unknown as { _load: (id: string, parent: unknown, main: boolean) => unknown })._load;
    // The bundle sits in a temp folder: its external packages come from this checkout's node_modules.
    const fromRepo = createRequire(path.join(root, 'package.json'));
    (Module as unknown as { _load: typeof load })._load = (id, parent, isMain) => {
      if (id === 'electron') return electron;
      if (!id.startsWith('.') && !id.startsWith('node:') && !path.isAbsolute(id) && !Module.isBuiltin(id)) return load(fromRepo.resolve(id), parent, isMain);
      return load(id, parent, isMain);
    };
    try {
      createRequire(import.meta.url)(path.join(dir, 'main.cjs'));
    } finally {
      (Module as unknown as { _load: typeof load })._load = load;
    }
    expect(calls).toEqual(['scheme:app:true', 'enableSandbox', 'whenReady', 'on:activate', 'on:window-all-closed']);
  });
});
