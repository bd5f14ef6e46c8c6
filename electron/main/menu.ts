// The app's own menu. The default Electron menu puts Reload, Force Reload and Toggle Developer Tools one Alt press
// away from an operator; a line PC gets none of them. `--dev` (an unpackaged checkout only) adds them back.
import type { MenuItemConstructorOptions } from 'electron';

export type MenuLocale = 'en' | 'zh-CN';

const LABELS: Record<MenuLocale, Record<string, string>> = {
  en: { file: 'File', quit: 'Quit PatchLine', edit: 'Edit', view: 'View', window: 'Window', help: 'Help', logs: 'Open log folder', about: 'About PatchLine', dev: 'Developer' },
  'zh-CN': { file: '文件', quit: '退出 PatchLine', edit: '编辑', view: '视图', window: '窗口', help: '帮助', logs: '打开日志文件夹', about: '关于 PatchLine', dev: '开发' },
};

/** The menu's language: Chinese for any zh locale of the OS, else English. */
export function menuLocale(osLocale: string): MenuLocale {
  return /^zh\b/i.test(osLocale) ? 'zh-CN' : 'en';
}

export interface MenuOptions {
  dev: boolean;
  locale: MenuLocale;
  platform: NodeJS.Platform;
  openLogs(): void;
  about(): void;
}

/** Roles a production menu must never contain. */
export const DEV_ONLY_ROLES = ['reload', 'forceReload', 'toggleDevTools'] as const;

export function appMenuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const l = LABELS[o.locale];
  const menu: MenuItemConstructorOptions[] = [
    { label: l.file, submenu: [{ role: 'quit', label: l.quit }] },
    // Edit keeps copy/paste working in text fields (folder paths, notes); zoom helps on a small or far-away screen.
    { label: l.edit, submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: l.view, submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { label: l.window, submenu: [{ role: 'minimize' }, ...(o.platform === 'darwin' ? [{ role: 'zoom' as const }] : [{ role: 'close' as const }])] },
    { label: l.help, submenu: [{ label: l.logs, click: () => o.openLogs() }, { label: l.about, click: () => o.about() }] },
  ];
  if (o.dev) menu.push({ label: l.dev, submenu: DEV_ONLY_ROLES.map((role) => ({ role })) });
  return menu;
}

/** Whether this run may have developer tools: never when packaged; in a checkout with --dev or PATCHLINE_DEV=1. */
export function devToolsAllowed(isPackaged: boolean, argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return !isPackaged && (argv.includes('--dev') || env.PATCHLINE_DEV === '1');
}
