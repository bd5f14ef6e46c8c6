// The model artifact: a folder with manifest.json, the Faiss index and the raw bank vectors. A fit builds it in a temp
// sibling folder and renames it into place; later changes write new files, then swap manifest.json atomically.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ModelManifest } from '../api';
import { fsyncPath, writeFileAtomic, writeFileDurable } from '../atomic-file';
import { sha256File } from '../backbone/resolve';

export const SCHEMA_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

export function bytesOf(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export interface StagedModel {
  /** The temp folder to write index and bank files into. */
  dir: string;
  /** Writes manifest.json, fsyncs, and renames the folder to its final place. */
  commit(manifest: ModelManifest): Promise<string>;
  abort(): Promise<void>;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp folders that a killed fit left beside `final` (their writer process no longer exists). */
export async function removeStaleStaging(final: string): Promise<string[]> {
  const parent = path.dirname(final);
  if (!existsSync(parent)) return [];
  const prefix = `${path.basename(final)}.`;
  const removed: string[] = [];
  for (const name of await readdir(parent)) {
    const m = name.startsWith(prefix) ? /^(?:tmp|old)-(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length)) : null;
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      await rm(path.join(parent, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

/** A folder built beside its final place and renamed into it whole. */
export interface StagedFolder {
  dir: string;
  /** Writes the marker file, fsyncs, and renames the folder to its final place (replacing an older one). */
  commit(marker: string): Promise<string>;
  abort(): Promise<void>;
}

/**
 * Starts an atomic folder at `out`, identified by its `marker` file: refuses an existing one unless `overwrite`, and
 * refuses to replace a non-empty folder that is not one of ours (`what` names the kind in the message).
 */
export async function stageFolder(out: string, o: { marker: string; what: string; overwrite?: boolean }): Promise<StagedFolder> {
  const final = path.resolve(out);
  if (existsSync(final) && !o.overwrite) {
    throw new Error(`${final} already exists. Choose another --out, or pass --overwrite to replace it.`);
  }
  if (existsSync(final) && !existsSync(path.join(final, o.marker)) && (await readdir(final)).length > 0) {
    throw new Error(`${final} exists and is not a ${o.what}; refusing to replace it.`);
  }
  await mkdir(path.dirname(final), { recursive: true });
  await removeStaleStaging(final);
  const dir = `${final}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(dir);
  return {
    dir,
    async commit(marker) {
      await writeFileDurable(path.join(dir, o.marker), marker);
      await fsyncPath(dir);
      if (existsSync(final)) {
        const old = `${final}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
        await rename(final, old);
        await rename(dir, final);
        await rm(old, { recursive: true, force: true });
      } else {
        await rename(dir, final);
      }
      await fsyncPath(path.dirname(final));
      return final;
    },
    async abort() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Starts an atomic model folder at `out`: refuses an existing one unless `overwrite`. */
export async function stageModelDir(out: string, overwrite = false): Promise<StagedModel> {
  const staged = await stageFolder(out, { marker: MANIFEST_FILE, what: 'PatchLine model folder', overwrite });
  return {
    dir: staged.dir,
    commit: (manifest) => staged.commit(JSON.stringify(manifest, null, 2) + '\n'),
    abort: () => staged.abort(),
  };
}

function refuse(dir: string, what: string): Error {
  return new Error(`${dir}: ${what}`);
}

/** Reads and checks manifest.json; every refusal says what to do. */
export function readManifest(dir: string): ModelManifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(dir)) throw refuse(dir, 'no such model folder. Fit one with `patchline fit --data DIR --out MODEL`.');
  if (!existsSync(file)) throw refuse(dir, 'not a PatchLine model folder (no manifest.json). Fit one with `patchline fit`.');
  let m: ModelManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as ModelManifest;
  } catch (err) {
    throw new Error(`${dir}: manifest.json is not valid JSON (${(err as Error).message}); the model is damaged. Fit it again.`, { cause: err });
  }
  if (typeof m !== 'object' || m === null || typeof m.schemaVersion !== 'number') {
    throw refuse(dir, 'manifest.json has no schemaVersion; the model is damaged or not a PatchLine model. Fit it again.');
  }
  if (m.schemaVersion !== SCHEMA_VERSION) {
    const newer = m.schemaVersion > SCHEMA_VERSION;
    throw refuse(
      dir,
      `model schema version ${m.schemaVersion}, but this PatchLine reads version ${SCHEMA_VERSION}. ` +
        (newer ? 'Update PatchLine to open it, or refit the model with this version.' : 'Refit the model with `patchline fit` (same data and options).'),
    );
  }
  const missing = ['backbone', 'bank', 'calibration', 'params', 'history'].filter((k) => !(k in m));
  if (missing.length) throw refuse(dir, `manifest.json lacks ${missing.join(', ')}; the model is damaged. Fit it again.`);
  return m;
}

/** Checks that the index (and bank) files are the ones the manifest describes: size, then sha256. */
export async function verifyModelFiles(dir: string, m: ModelManifest): Promise<void> {
  const checks: [string, number | undefined, string | undefined][] = [[m.bank.indexFile, m.bank.indexBytes, m.bank.indexSha256]];
  if (m.bank.bankFile) checks.push([m.bank.bankFile, m.bank.vectors * m.bank.dimension * 4, m.bank.bankSha256]);
  for (const [name, bytes, sha] of checks) {
    const file = path.join(dir, name);
    const fix = 'The model is damaged: restore it from a backup or fit it again.';
    if (!existsSync(file)) throw refuse(dir, `${name} is missing. ${fix}`);
    const size = statSync(file).size;
    if (bytes !== undefined && size !== bytes) throw refuse(dir, `${name} has ${size} bytes, the manifest says ${bytes} (corrupt or truncated index). ${fix}`);
    if (sha && (await sha256File(file)) !== sha) throw refuse(dir, `${name} does not match its sha256 in the manifest (corrupt index). ${fix}`);
  }
}

/** Writes a new model's index.faiss and bank.f32 into `dir` and returns the manifest's bank section. */
export async function writeBankFiles(
  dir: string,
  index: { write(file: string): void | Promise<void> },
  bank: Float32Array,
  b: { vectors: number; dimension: number; factory: string; params: object; reason: string },
): Promise<ModelManifest['bank']> {
  const indexFile = 'index.faiss';
  const bankFile = 'bank.f32';
  await index.write(path.join(dir, indexFile));
  await writeBank(path.join(dir, bankFile), bank);
  return bankSection(dir, { ...b, indexFile, bankFile });
}

/** The manifest's bank section for an index and a bank file just written into `dir` (sizes and sha256 read back). */
export async function bankSection(
  dir: string,
  b: { vectors: number; dimension: number; factory: string; params: object; reason: string; indexFile: string; bankFile: string },
): Promise<ModelManifest['bank']> {
  return {
    vectors: b.vectors,
    dimension: b.dimension,
    indexFactory: b.factory,
    indexFile: b.indexFile,
    indexBytes: statSync(path.join(dir, b.indexFile)).size,
    indexParams: { ...b.params } as Record<string, number>,
    indexReason: b.reason,
    indexSha256: await sha256File(path.join(dir, b.indexFile)),
    bankFile: b.bankFile,
    bankSha256: await sha256File(path.join(dir, b.bankFile)),
  };
}

export async function writeManifest(dir: string, m: ModelManifest): Promise<void> {
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(m, null, 2) + '\n');
}

export async function writeBank(file: string, bank: Float32Array): Promise<void> {
  await writeFileDurable(file, bytesOf(bank));
}

export function readBank(file: string, rows: number, dim: number): Float32Array {
  const buf = readFileSync(file);
  if (buf.byteLength !== rows * dim * 4) throw new Error(`${file} has ${buf.byteLength} bytes, expected ${rows}×${dim} float32`);
  // Copy into an aligned buffer (Buffer pool slices may not be 4-byte aligned).
  const out = new Float32Array(rows * dim);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** `count` rows spread evenly over a bank file (one read per row: a sample without loading the whole bank). */
export function readBankRows(file: string, rows: number, dim: number, count: number): Float32Array {
  const n = Math.min(count, rows);
  const out = new Float32Array(n * dim);
  const bytes = new Uint8Array(out.buffer);
  const fd = openSync(file, 'r');
  try {
    for (let i = 0; i < n; i++) {
      const r = Math.floor((i * rows) / n);
      const got = readSync(fd, bytes, i * dim * 4, dim * 4, r * dim * 4);
      if (got !== dim * 4) throw new Error(`${file}: row ${r} is truncated (${got} of ${dim * 4} bytes)`);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

export async function removeQuietly(file: string): Promise<void> {
  await rm(file, { force: true });
}

