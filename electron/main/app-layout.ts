// Where the desktop app's parts are, from the folder of its bundles: a checkout's dist/electron, or an installed app's
// resources/app.asar/dist/electron. Plain Node (no Electron), so the lookup is tested with a fake install tree; main and
// the packaged CLI both start from it.
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface AppLayout {
  /** Installed (inside app.asar), as opposed to a checkout's dist/. */
  packaged: boolean;
  /** resources/ of the installed app (cards, default backbone, notices); null in a checkout. */
  resourcesDir: string | null;
  rendererDir: string;
  nativeAddon: string;
}

const ASAR = `${path.sep}app.asar${path.sep}`;

/** Files unpacked from app.asar (native modules, the engine bundles) live beside it in app.asar.unpacked. */
export function unpacked(p: string): string {
  return p.replace(ASAR, `${path.sep}app.asar.unpacked${path.sep}`);
}

export function appLayout(bundleDir: string): AppLayout {
  const dir = path.resolve(bundleDir);
  // .../resources/app.asar[.unpacked]/dist/electron
  const m = /^(.*)[\\/]app\.asar(?:\.unpacked)?[\\/]dist[\\/]electron$/.exec(dir);
  const appRoot = path.resolve(dir, '..', '..');
  const resourcesDir = m ? m[1] : null;
  const asarRoot = resourcesDir ? path.join(resourcesDir, 'app.asar') : appRoot;
  return {
    packaged: resourcesDir !== null,
    resourcesDir,
    rendererDir: path.join(asarRoot, 'dist', 'renderer'),
    nativeAddon: unpacked(path.join(asarRoot, 'native', 'build', 'Release', 'patchline_native.node')),
  };
}

/**
 * What the services, the engine's workers and the CLI read from the environment (inherited by worker threads and
 * child processes): the addon's path and the resources folder. A value the user set is kept.
 */
export function applyLayoutEnv(layout: AppLayout, env: NodeJS.ProcessEnv = process.env): void {
  if (!env.PATCHLINE_NATIVE_PATH && existsSync(layout.nativeAddon)) env.PATCHLINE_NATIVE_PATH = layout.nativeAddon;
  if (!env.PATCHLINE_RESOURCES && layout.resourcesDir) env.PATCHLINE_RESOURCES = layout.resourcesDir;
}
