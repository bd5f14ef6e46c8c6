// Crash-safe file writes, for every writer in PatchLine (model artifacts, eval JSON and reports, inspection records):
// a temp file in the same folder, fsync, rename over the target, fsync of the folder, so a reader never sees half a
// file and a crash leaves the old file or the new one. Temp files are hidden and named `.<name>.<pid>.<hex>.tmp`, so
// the cleaners (records, model updates) know them by isTempFile. All I/O is asynchronous (libuv's pool).
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Fsyncs a file or a folder. Windows cannot open a folder for fsync (and its rename is durable without it). */
export async function fsyncPath(p: string): Promise<void> {
  let fh;
  try {
    fh = await open(p, 'r');
    await fh.sync();
  } catch (err) {
    if (process.platform !== 'win32') throw err;
  } finally {
    await fh?.close();
  }
}

/** Writes and fsyncs a file in place (for files nobody reads before a later commit point, e.g. a new version's bank). */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function isTempFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/** Temp file + fsync + rename; the folder's fsync is the caller's. */
async function replaceSynced(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFileDurable(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Replaces one file atomically and durably. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await replaceSynced(file, data);
  await fsyncPath(path.dirname(file));
}

/** Several files into one folder (created if need be), each atomically, with one fsync of the folder for all. */
export async function writeFilesAtomic(dir: string, files: { name: string; data: Uint8Array | string }[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(files.map((f) => replaceSynced(path.join(dir, f.name), f.data)));
  await fsyncPath(dir);
}
