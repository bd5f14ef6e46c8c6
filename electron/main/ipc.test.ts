// The Electron transport and window settings, tested without the Electron binary (fakes of ipcMain/webContents).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { attachIpc, type IpcEventLike, type IpcMainLike, type WebContentsLike } from './ipc';
import { allowPermission, isAppUrl, windowOptions } from './window-options';
import { createPreloadBridge } from '../preload/bridge';
import { createClient } from '../../shared/client';
import { CHANNEL } from '../../shared/channel';
import { createWorkstation, type Workstation } from '../services/app';
import { fakeEngineModule, tempDir } from '../services/testing/fixtures';

class FakeWebContents extends EventEmitter implements WebContentsLike {
  destroyed = false;
  constructor(
    readonly id: number,
    private readonly deliver: (m: unknown) => void,
  ) {
    super();
  }
  send(channel: string, message: unknown) {
    expect(channel).toBe(CHANNEL);
    const copy = structuredClone(message);
    queueMicrotask(() => this.deliver(copy));
  }
  isDestroyed() {
    return this.destroyed;
  }
}

/** ipcMain + one window's ipcRenderer, wired the way Electron wires them (structured clone in both directions). */
function fakeElectron(pageUrl = 'app://patchline/index.html') {
  const main = new EventEmitter();
  const renderer = new EventEmitter();
  const ipcMain: IpcMainLike = {
    on: (ch, l) => main.on(ch, l),
    removeAllListeners: (ch) => main.removeAllListeners(ch),
  };
  const wc = new FakeWebContents(1, (m) => renderer.emit(CHANNEL, {}, m));
  const frame = { url: pageUrl };
  const ipcRenderer = {
    send: (ch: string, m: unknown) => main.emit(ch, { sender: wc, senderFrame: frame } satisfies IpcEventLike, structuredClone(m)),
    on: (ch: string, l: (e: unknown, m: unknown) => void) => renderer.on(ch, l),
    removeListener: (ch: string, l: (e: unknown, m: unknown) => void) => renderer.removeListener(ch, l),
  };
  return { ipcMain, ipcRenderer, wc, frame, renderer };
}

let ws: Workstation;
beforeAll(async () => {
  ws = await createWorkstation({ dataDir: await tempDir('ipc'), engineModule: fakeEngineModule, log: () => {} });
});
afterAll(() => ws.close());

describe('Electron IPC transport', () => {
  it('carries the contract over one channel through the preload bridge', async () => {
    const e = fakeElectron();
    const detach = attachIpc(e.ipcMain, ws.server);
    const client = createClient(createPreloadBridge(e.ipcRenderer));
    await expect(client.call('app.hello', {})).resolves.toMatchObject({ contractVersion: 1 });
    await expect(client.call('models.train', { name: 'x', folder: '/' })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    detach();
  });

  it('ignores messages from any page that is not the app', async () => {
    const e = fakeElectron('https://evil.example/');
    const logs: string[] = [];
    const detach = attachIpc(e.ipcMain, ws.server, (m) => logs.push(m));
    const before = ws.server.connections;
    e.ipcRenderer.send(CHANNEL, { t: 'req', id: 1, v: 1, method: 'app.hello', input: {} });
    expect(ws.server.connections).toBe(before);
    expect(logs[0]).toContain('evil.example');
    detach();
  });

  it('ends a page\'s subscriptions when it navigates or its window is destroyed', async () => {
    const e = fakeElectron();
    const detach = attachIpc(e.ipcMain, ws.server);
    const client = createClient(createPreloadBridge(e.ipcRenderer));
    let n = 0;
    client.subscribe('metrics.stream', {}, () => n++);
    await client.call('app.hello', {});
    const base = ws.server.connections;
    e.wc.emit('did-navigate');
    expect(ws.server.connections).toBe(base - 1);
    ws.metrics.tick();
    await new Promise((r) => setTimeout(r, 10));
    expect(n).toBe(0);
    // The new page gets a fresh operator session.
    const again = createClient(createPreloadBridge(e.ipcRenderer));
    await expect(again.call('auth.status', {})).resolves.toMatchObject({ role: 'operator' });
    e.wc.destroyed = true;
    e.wc.emit('destroyed');
    expect(ws.server.connections).toBe(base - 1);
    detach();
  });

  it('the preload bridge never hands the IPC event to the page', () => {
    const e = fakeElectron();
    const bridge = createPreloadBridge(e.ipcRenderer);
    const args: unknown[][] = [];
    const off = bridge.subscribe((...a: unknown[]) => void args.push(a));
    e.renderer.emit(CHANNEL, { sender: 'secret' }, { t: 'closed', reason: 'x' });
    off();
    e.renderer.emit(CHANNEL, {}, { t: 'closed', reason: 'y' });
    expect(args).toEqual([[{ t: 'closed', reason: 'x' }]]);
  });
});

describe('window security settings', () => {
  it('isolates and sandboxes the renderer, without Node', () => {
    const w = windowOptions('/app/preload.cjs').webPreferences;
    expect(w).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/preload.cjs',
    });
  });

  it('grants the camera to the app page only, and nothing else', () => {
    expect(allowPermission('media', 'app://patchline/index.html', ['video'])).toBe(true);
    expect(allowPermission('media', 'app://patchline/index.html', ['audio'])).toBe(false);
    expect(allowPermission('media', 'https://evil.example/', ['video'])).toBe(false);
    expect(allowPermission('geolocation', 'app://patchline/index.html')).toBe(false);
    expect(isAppUrl('app://patchline.evil/')).toBe(false);
    expect(isAppUrl('app://patchline/x')).toBe(true);
  });
});
