// Serves the built renderer's files, for the headless host and Electron's app:// protocol alike. Only files inside
// the renderer folder, never a path that climbs out of it.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export interface StaticFile {
  body: Buffer;
  type: string;
  /** Hashed asset names may be cached forever; index.html never. */
  immutable: boolean;
}

/** Null when the path is outside the folder or not a file. */
export async function readStatic(root: string, urlPath: string): Promise<StaticFile | null> {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + path.posix.normalize(rel));
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) return null;
  const ext = path.extname(file).toLowerCase();
  return { body: await readFile(file), type: TYPES[ext] ?? 'application/octet-stream', immutable: rel.startsWith('/assets/') };
}
