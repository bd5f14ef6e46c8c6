// The Electron shell: one secure window on the app:// origin, the workstation's services in this process (the engine in
// worker threads), the contract on one IPC channel. Bundled to dist/electron/main.cjs by `npm run build`.
// For a line PC: one instance only (a second launch focuses the first window), the app's own menu (no DevTools or
// Reload in production), log files in userData/logs, a renderer that reloads itself after a crash, and no display
// sleep while the station inspects. `PatchLine --cli …` runs the command line instead of the window.
import { app, BrowserWindow, dialog, ipcMain, Menu, powerSaveBlocker, protocol, session, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createWorkstation, type Workstation } from '../services/app';
import { SECURITY_HEADERS } from '../host/security';
import { readStatic } from '../host/static-files';
import { attachIpc } from './ipc';
import { APP_ORIGIN, allowPermission, isAppUrl, windowOptions } from './window-options';
import { appLayout, applyLayoutEnv, unpacked } from './app-layout';
import { appMenuTemplate, devToolsAllowed, menuLocale } from './menu';
import { describeError, openAppLogs, type AppLogs } from './log-file';
import { ReloadLimiter } from './renderer-watchdog';
import { KeepAwake } from './keep-awake';

// The bundle lives in dist/electron/ (inside app.asar when packaged); the native addon is unpacked beside it.
const bundleDir = __dirname;
const layout = appLayout(bundleDir);
applyLayoutEnv(layout);

if (process.argv.includes('--cli')) {
  // The CLI bundle is ESM and unpacked; it reads its arguments after --cli and exits the process itself.
  import(pathToFileURL(unpacked(path.join(bundleDir, 'cli.mjs'))).href).catch((e: unknown) => {
    process.stderr.write(`patchline: the command line could not start: ${describeError(e)}\n`);
    app.exit(1);
  });
} else if (!app.requestSingleInstanceLock()) {
  // A second window would watch the same hot folder and write every record twice: hand over to the first and go.
  app.quit();
} else {
  startShell();
}

function startShell(): void {
  const dev = devToolsAllowed(app.isPackaged, process.argv, process.env);
  let logs: AppLogs | null = null;
  let workstation: Workstation | null = null;
  let mainWindow: BrowserWindow | null = null;
  let awake: KeepAwake | null = null;
  const watchdog = new ReloadLimiter();
  const zh = () => menuLocale(app.getLocale()) === 'zh-CN';
  const log = (level: 'info' | 'warn' | 'error', m: string) => (logs ? logs.main.write(level, m) : console.error(m));

  protocol.registerSchemesAsPrivileged([
    // standard + secure: a real origin (app://patchline) for module scripts, the frame worker and getUserMedia.
    { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true, codeCache: true } },
  ]);

  process.on('uncaughtException', (e) => log('error', `uncaught exception: ${describeError(e)}`));
  process.on('unhandledRejection', (e) => log('error', `unhandled rejection: ${describeError(e)}`));

  app.on('second-instance', () => {
    if (!mainWindow || mainWindow.isDestroyed()) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  });

  async function ready(): Promise<void> {
    const userData = app.getPath('userData');
    logs = openAppLogs(userData, { echo: dev ? (l) => process.stdout.write(`${l}\n`) : null });
    log('info', `PatchLine ${app.getVersion()} (Electron ${process.versions.electron}, ${process.platform}-${process.arch}) starting; data in ${userData}${layout.packaged ? `, resources in ${layout.resourcesDir}` : ''}`);
    const services = logs.services;
    workstation = await createWorkstation({ dataDir: userData, appVersion: app.getVersion(), log: (m) => services.info(m) });

    const keep = new KeepAwake(powerSaveBlocker, { log: (m) => log('info', m) });
    awake = keep;
    workstation.inspection.onResult(() => keep.partScored());
    workstation.hotFolder.subscribe((e) => {
      if (e.kind === 'status') keep.setHotFolder(e.status.running);
    });
    keep.setHotFolder(workstation.hotFolder.status().running);

    protocol.handle('app', async (request) => {
      const url = new URL(request.url);
      if (url.host !== 'patchline') return new Response('Not found', { status: 404 });
      const file = await readStatic(layout.rendererDir, url.pathname);
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
      const ok = isAppUrl(details.url) || details.url.startsWith('blob:') || details.url.startsWith('data:') || (dev && details.url.startsWith('devtools:'));
      callback({ cancel: !ok });
    });

    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        appMenuTemplate({
          dev,
          locale: menuLocale(app.getLocale()),
          platform: process.platform,
          openLogs: () => void shell.openPath(logs?.dir ?? userData),
          about: () =>
            void dialog.showMessageBox({
              type: 'info',
              title: 'PatchLine',
              message: `PatchLine ${app.getVersion()}`,
              detail: `Electron ${process.versions.electron} · Node ${process.versions.node}\n${userData}`,
            }),
        }),
      ),
    );

    attachIpc(ipcMain, workstation.server, (m) => log('warn', `[ipc] ${m}`));
    createWindow();
  }

  function createWindow(): void {
    const win = new BrowserWindow(windowOptions(path.join(bundleDir, 'preload.cjs')));
    mainWindow = win;
    const wc = win.webContents;
    wc.setWindowOpenHandler(() => ({ action: 'deny' }));
    wc.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    wc.on('will-attach-webview', (event) => event.preventDefault());
    // Without a menu item there is no shortcut to DevTools; this closes any other way in.
    if (!dev) wc.on('devtools-opened', () => wc.closeDevTools());
    // The renderer's errors (uncaught, console.error, failed screens) go to renderer.log.
    wc.on('console-message', (event) => {
      if (event.level === 'error' || event.level === 'warning') {
        logs?.renderer.write(event.level === 'error' ? 'error' : 'warn', `${event.message} (${event.sourceId}:${event.lineNumber})`);
      }
    });
    wc.on('preload-error', (_event, preloadPath, error) => logs?.renderer.error(`preload ${preloadPath} failed: ${describeError(error)}`));
    wc.on('unresponsive', () => log('warn', 'renderer unresponsive'));
    wc.on('responsive', () => log('info', 'renderer responsive again'));
    wc.on('render-process-gone', (_event, details) => {
      const d = watchdog.onGone(details.reason, details.exitCode);
      log(d.reload ? 'warn' : 'error', d.message);
      if (win.isDestroyed()) return;
      if (d.reload) {
        wc.reload();
        return;
      }
      // Crashing again and again: stop, and let whoever stands at the line decide.
      void dialog
        .showMessageBox(win, {
          type: 'error',
          title: 'PatchLine',
          message: zh() ? '窗口多次崩溃。' : 'The window crashed several times in a row.',
          detail: zh() ? `详情见日志：${logs?.dir ?? ''}` : `Details are in the log: ${logs?.dir ?? ''}`,
          buttons: zh() ? ['重新加载', '退出'] : ['Reload', 'Quit'],
          defaultId: 0,
        })
        .then(({ response }) => (response === 0 && !win.isDestroyed() ? wc.reload() : app.quit()));
    });
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      if (mainWindow === win) mainWindow = null;
    });
    void win.loadURL(`${APP_ORIGIN}/index.html`);
  }

  app.enableSandbox();
  app
    .whenReady()
    .then(ready)
    .catch((e: unknown) => {
      log('error', `startup failed: ${describeError(e)}`);
      // A line PC may have no terminal: say it on screen too (e.g. the data folder is locked or unwritable).
      dialog.showErrorBox(zh() ? 'PatchLine 无法启动' : 'PatchLine could not start', `${(e as Error)?.message ?? String(e)}\n\n${logs?.dir ?? ''}`);
      app.exit(1);
    });

  app.on('activate', () => {
    if (workstation && BrowserWindow.getAllWindows().length === 0) createWindow();
  });

  app.on('window-all-closed', () => {
    const ws = workstation;
    workstation = null;
    awake?.dispose();
    void (ws ? ws.close() : Promise.resolve())
      .catch((e: unknown) => log('error', `closing the workstation failed: ${describeError(e)}`))
      .finally(() => {
        log('info', 'PatchLine stopped');
        logs?.close();
        app.quit();
      });
  });
}
