// Where things live when the app runs from a checkout or a build.
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The per-user data folder: the same one Electron uses as userData for productName "PatchLine", so the desktop app and
 * the headless host share models and records.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(homedir(), 'AppData', 'Roaming'), 'PatchLine');
  if (platform === 'darwin') return path.join(homedir(), 'Library', 'Application Support', 'PatchLine');
  return path.join(env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'PatchLine');
}

/** The repository (or unpacked app) root: two folders above electron/host/ in a checkout, and above dist/electron/. */
export function appRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function defaultRendererDir(): string {
  return path.join(appRoot(), 'dist', 'renderer');
}
