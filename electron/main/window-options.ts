// The BrowserWindow settings, kept as data so a test can hold them to Electron's security checklist.
export const APP_ORIGIN = 'app://patchline';

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  experimentalFeatures: false;
  webviewTag: false;
  navigateOnDragDrop: false;
  spellcheck: false;
}

export function windowOptions(preload: string) {
  const webPreferences: SecureWebPreferences = {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    // Files dropped on the window are inspected, never opened as a page.
    navigateOnDragDrop: false,
    spellcheck: false,
  };
  return {
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    backgroundColor: '#0f1419',
    title: 'PatchLine',
    autoHideMenuBar: true,
    webPreferences,
  };
}

/** Only the app's own pages may talk to main or navigate. */
export function isAppUrl(url: string | undefined | null): boolean {
  return typeof url === 'string' && (url === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`));
}

/** Permissions the renderer may get: the camera, for the app's own page only. */
export function allowPermission(permission: string, requestingUrl: string | undefined, mediaTypes: readonly string[] = []): boolean {
  if (!isAppUrl(requestingUrl)) return false;
  if (permission !== 'media') return false;
  return mediaTypes.every((t) => t === 'video');
}
