// The Electron shell: one secure window on the app:// origin, the workstation's services in this process (the engine in
// worker threads), the contract on one IPC channel. Bundled to dist/electron/main.cjs by `npm run build`.
import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createWorkstation, type Workstation } from '../services/app';
import { SECURITY_HEADERS } from '../host/security';
import { readStatic } from '../host/static-files';
import { attachIpc } from './ipc';
import { APP_ORIGIN, allowPermission, isAppUrl, windowOptions } from './window-options';

// The bundle lives in dist/electron/ (inside app.asar when packaged); the native addon is unpacked beside it.
const bundleDir = __dirname;
const rendererDir = path.join(bundleDir, '..', 'renderer');
const unpacked = (p: string) => p.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
const nativeAddon = unpacked(path.join(bundleDir, '..', '..', 'native', 'build', 'Release', 'patchline_native.node'));
if (!process.env.PATCHLINE_NATIVE_PATH && existsSync(nativeAddon)) process.env.PATCHLINE_NATIVE_PATH = nativeAddon;

protocol.registerSchemesAsPrivileged([
  // standard + secure: a real origin (app://patchline) for module scripts, the frame worker and getUserMedia.
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true, codeCache: true } },
]);

let workstation: Workstation | null = null;

async function ready(): Promise<void> {
  workstation = await createWorkstation({ dataDir: app.getPath('userData'), appVersion: app.getVersion() });

  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'patchline') return new Response('Not found', { status: 404 });
    const file = await readStatic(rendererDir, url.pathname);
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), { headers: { ...SECURITY_HEADERS, 'Content-Type': file.type } });
  });

  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => {
    const media = 'mediaTypes' in details ? (details.mediaTypes ?? []) : [];
    callback(allowPermission(permission, details.requestingUrl, media));
  });
  ses.setPermissionCheckHandler((_wc, permission, origin) => permission === 'media' && isAppUrl(origin));
  // No remote content, ever: anything not app:// is refused at the network layer.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok = isAppUrl(details.url) || details.url.startsWith('blob:') || details.url.startsWith('data:') || details.url.startsWith('devtools:');
    callback({ cancel: !ok });
  });

  attachIpc(ipcMain, workstation.server, (m) => console.warn(`[ipc] ${m}`));
  createWindow();
}

function createWindow(): void {
  const win = new BrowserWindow(windowOptions(path.join(bundleDir, 'preload.cjs')));
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
}

app.enableSandbox();
app.whenReady().then(ready, (e: unknown) => {
  console.error(e);
  app.exit(1);
});

app.on('activate', () => {
  if (workstation && BrowserWindow.getAllWindows().length === 0) createWindow();
});

app.on('window-all-closed', () => {
  const ws = workstation;
  workstation = null;
  void (ws ? ws.close() : Promise.resolve()).finally(() => app.quit());
});
