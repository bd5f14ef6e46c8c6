// The Electron bundles cannot be run here (no Electron binary), so this builds them and loads them against a stand-in
// `electron` module: the preload must expose exactly { send, subscribe }; main must register the app:// scheme, turn
// on the sandbox and wait for `ready` before touching anything else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

  /** Loads main.cjs against a stand-in `electron` module that records what main asks of it. */
  function loadMain(opts: { lock: boolean; argv?: string[] }): string[] {
    const calls: string[] = [];
    const electron = {
      app: {
        requestSingleInstanceLock: () => (calls.push('requestSingleInstanceLock'), opts.lock),
        quit: () => calls.push('quit'),
        exit: (code: number) => calls.push(`exit:${code}`),
        enableSandbox: () => calls.push('enableSandbox'),
        whenReady: () => {
          calls.push('whenReady');
          return new Promise(() => {}); // never ready: nothing else may run
        },
        on: (ev: string) => calls.push(`on:${ev}`),
        isPackaged: true,
      },
      protocol: { registerSchemesAsPrivileged: (s: { scheme: string; privileges: Record<string, boolean> }[]) => calls.push(`scheme:${s[0].scheme}:${s[0].privileges.secure}`) },
      BrowserWindow: class {},
      Menu: {},
      ipcMain: {},
      session: {},
      powerSaveBlocker: {},
      dialog: {},
      shell: {},
    };
    const load = (Module as unknown as { _load: (id: string, parent: unknown, main: boolean) => unknown })._load;
    // The bundle sits in a temp folder: its external packages come from this checkout's node_modules.
    const fromRepo = createRequire(path.join(root, 'package.json'));
    (Module as unknown as { _load: typeof load })._load = (id, parent, isMain) => {
      if (id === 'electron') return electron;
      if (!id.startsWith('.') && !id.startsWith('node:') && !path.isAbsolute(id) && !Module.isBuiltin(id)) return load(fromRepo.resolve(id), parent, isMain);
      return load(id, parent, isMain);
    };
    const argv = process.argv;
    const listeners = { u: process.listenerCount('uncaughtException'), r: process.listenerCount('unhandledRejection') };
    process.argv = opts.argv ?? argv;
    try {
      const file = path.join(dir, 'main.cjs');
      delete createRequire(import.meta.url).cache[file];
      createRequire(import.meta.url)(file);
    } finally {
      (Module as unknown as { _load: typeof load })._load = load;
      process.argv = argv;
      // main logs uncaught errors for its whole life; this test process is not main's.
      for (const l of process.listeners('uncaughtException').slice(listeners.u)) process.removeListener('uncaughtException', l);
      for (const l of process.listeners('unhandledRejection').slice(listeners.r)) process.removeListener('unhandledRejection', l);
    }
    return calls;
  }

  it('main takes the single-instance lock, registers app:// and the sandbox, then waits for ready', () => {
    expect(loadMain({ lock: true })).toEqual([
      'requestSingleInstanceLock',
      'scheme:app:true',
      'on:second-instance',
      'enableSandbox',
      'whenReady',
      'on:activate',
      'on:window-all-closed',
    ]);
  });

  it('a second instance quits at once, before any window or service exists (the first one is focused)', () => {
    expect(loadMain({ lock: false })).toEqual(['requestSingleInstanceLock', 'quit']);
  });

  it('`PatchLine --cli …` runs the command line: no lock, no window, its exit code', () => {
    // In a child process: the CLI exits the process when it is done. The stand-in electron refuses anything a window
    // would need.
    const stub = path.join(dir, 'electron-stub.cjs');
    writeFileSync(
      stub,
      `const Module = require('node:module'); const load = Module._load;
       const no = (what) => () => { throw new Error('--cli must not call ' + what); };
       const electron = { app: { requestSingleInstanceLock: no('requestSingleInstanceLock'), whenReady: no('whenReady'), enableSandbox: no('enableSandbox'), on: no('app.on'), exit: (c) => process.exit(c), isPackaged: false }, protocol: { registerSchemesAsPrivileged: no('registerSchemesAsPrivileged') } };
       Module._load = function (id, ...rest) { return id === 'electron' ? electron : load.call(this, id, ...rest); };`,
    );
    const r = spawnSync(process.execPath, ['-r', stub, path.join(dir, 'main.cjs'), '--cli', 'backbones'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mobilenetv2-int8: /m);
    const bad = spawnSync(process.execPath, ['-r', stub, path.join(dir, 'main.cjs'), '--cli', 'no-such-command'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});

describe('electron-builder.yml', () => {
  async function config(): Promise<Record<string, unknown>> {
    // electron-builder's own loader and schema check (the same that `electron-builder` runs before packing).
    const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'));
    const cfg = fromBuilder('app-builder-lib/out/util/config/config.js') as {
      getConfig(dir: string, file: string | null, o: null): Promise<Record<string, unknown>>;
      validateConfiguration(c: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = fromBuilder('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const c = await cfg.getConfig(root, null, null);
    await cfg.validateConfiguration(c, new DebugLogger(false));
    return c;
  }

  it('passes electron-builder\'s schema', async () => {
    await expect(config()).resolves.toMatchObject({ appId: 'com.patchline.workstation', productName: 'PatchLine' });
  });

  it('packs the backbone cards and the default backbone as resources, the licenses and the CLI beside the binary', async () => {
    const c = (await config()) as {
      extraResources: { from: string; to: string; filter: string[] }[];
      extraFiles: { from: string; to: string }[];
      asarUnpack: string[];
      linux: { extraFiles: { from: string }[] };
      win: { extraFiles: { from: string }[] };
      electronFuses?: { runAsNode?: boolean };
    };
    expect(c.extraResources).toEqual(
      expect.arrayContaining([
        { from: 'assets/backbones', to: 'backbones', filter: ['*.json'] },
        { from: 'dist/resources/models', to: 'models', filter: ['*.onnx'] },
      ]),
    );
    expect(c.extraFiles.map((f) => f.to)).toEqual(expect.arrayContaining(['LICENSE', 'THIRD_PARTY_NOTICES.md']));
    expect(c.linux.extraFiles.map((f) => f.from)).toContain('scripts/cli/patchline-cli');
    expect(c.win.extraFiles.map((f) => f.from)).toContain('scripts/cli/patchline-cli.cmd');
    for (const f of [...c.extraFiles, ...c.linux.extraFiles, ...c.win.extraFiles].map((x) => x.from).filter((f) => !f.startsWith('dist/'))) {
      expect(existsSync(path.join(root, f)), f).toBe(true);
    }
    expect(c.asarUnpack).toEqual(expect.arrayContaining(['dist/electron/cli.mjs', 'dist/electron/engine.mjs', 'dist/electron/engine-worker.mjs']));
    // The packaged CLI needs ELECTRON_RUN_AS_NODE: the runAsNode fuse must not be switched off.
    expect(c.electronFuses?.runAsNode).not.toBe(false);
  });

  it('the packaging scripts stage the backbone and the notices before electron-builder runs', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
    for (const s of ['electron:pack', 'electron:pack:win']) expect(pkg.scripts[s]).toMatch(/npm run build && npm run build:resources && electron-builder/);
    expect(pkg.scripts['build:resources']).toBe('node scripts/stage-models.mjs && node scripts/notices.mjs');
    // Electron's latest three majors are supported; 43 is the newest that better-sqlite3 12 (Node 20) is known to build for.
    expect(Number(pkg.devDependencies.electron.split('.')[0])).toBeGreaterThanOrEqual(43);
  });

  it('the Windows CLI wrapper quotes its paths and keeps CRLF line ends', () => {
    const cmd = readFileSync(path.join(root, 'scripts', 'cli', 'patchline-cli.cmd'), 'utf8');
    expect(cmd).toContain('set ELECTRON_RUN_AS_NODE=1');
    expect(cmd).toContain('"%~dp0PatchLine.exe" "%~dp0resources\\app.asar.unpacked\\dist\\electron\\cli.mjs" %*');
    expect(cmd.split('\n').slice(0, -1).every((l) => l.endsWith('\r'))).toBe(true);
  });
});
