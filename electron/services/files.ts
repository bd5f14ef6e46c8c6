// Crash-safe file writes: temp file + fsync + rename (+ fsync of the folder), so a reader never sees half a file.
// All I/O is asynchronous (libuv's pool), never blocking main's thread.
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Several files into one folder, each atomically, with one fsync of the folder for all of them. */
export async function writeFilesAtomic(dir: string, files: { name: string; data: Uint8Array | string }[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(files.map((f) => writeSynced(path.join(dir, f.name), f.data)));
  await syncDir(dir);
}

/** Temp file + fsync + rename; the folder's own fsync is the caller's. */
async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
}

export async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; the rename is still atomic there.
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function isTempFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}
