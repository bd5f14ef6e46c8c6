// Where the engine finds the repository's own files (backbone cards) and the development material beside it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The checkout (or unpacked app) root: the nearest folder above this module holding package.json. */
export function projectRoot(): string {
  let dir = here;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(here, '..', '..');
    dir = up;
  }
}

/**
 * The installed app's resources folder (Electron's process.resourcesPath; main passes it to the engine's workers and
 * the packaged CLI as PATCHLINE_RESOURCES), holding the backbone cards and the default backbone, so an offline PC works
 * on first start. Null in a checkout.
 */
export function packagedResourcesDir(): string | null {
  for (const dir of [process.env.PATCHLINE_RESOURCES, (process as { resourcesPath?: string }).resourcesPath]) {
    if (dir && existsSync(path.join(dir, 'backbones'))) return dir;
  }
  return null;
}

export function backboneCardsDir(): string {
  if (process.env.PATCHLINE_CARDS) return process.env.PATCHLINE_CARDS;
  const packaged = packagedResourcesDir();
  return packaged ? path.join(packaged, 'backbones') : path.join(projectRoot(), 'assets', 'backbones');
}

/** ../shared beside the checkout: the development and CI copy of the models and datasets (read-only). */
export function sharedDir(): string {
  return process.env.PATCHLINE_SHARED ?? path.resolve(projectRoot(), '..', 'shared');
}

/** The per-user cache: XDG on Linux, Library/Caches on macOS, LOCALAPPDATA on Windows. */
export function userCacheDir(): string {
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '.';
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'patchline');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'patchline');
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'patchline');
}
