// Incremental update and rollback of a model folder, crash-safe.
//
// update: a new day's good images are streamed through the model's backbone, one image at a time; each image's
// patches are projected like fit's coreset (same projection and seed) and folded into an epsilon-net built over the
// current bank at the model's recorded coverage radius, so only patches farther than r from everything already in
// the bank join it. Old images are never recomputed. The new version's files (index-vN.faiss, bank-vN.f32) are
// written beside the current ones, then manifest.json is replaced atomically: that rename is the commit point.
//   - A crash (kill -9) before it leaves the previous version untouched and usable; the new files are orphans.
//   - The next update or rollback first discards every versioned file no manifest entry refers to (and temp files),
//     so a partial update never lingers and never half-applies.
//   - One writer at a time: `.update.lock` holds the writer's pid; a lock whose process is gone is taken over.
// Each bank-changing version keeps a snapshot of its bank section and calibration in the history; the files of the
// last `keepVersions` (default 3) stay on disk for rollback, older ones are deleted.
//
// rollback: the manifest returns to the previous bank-changing version (files, calibration); the undone version is
// marked rolledBack and its files are deleted. A further rollback steps back again while files remain.
import { EpsilonNet, randomProjection } from '../../../native/index';
import { existsSync, readdirSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ModelManifest, ModelVersion, RollbackOptions, RollbackResult, SkippedFile, UpdateOptions, UpdateResult } from '../api';
import { resolveBackends, type EngineBackends } from '../bank/backends';
import { netLists } from '../bank/index-rule';
import { openFitSource } from '../data/dataset';
import { featureSource } from '../features/image-features';
import { ProgressTracker, throwIfAborted } from '../progress';
import { pidAlive, readBank, readManifest, writeManifest } from './artifact';
import { concatRows, nextVersion, writeBankVersion } from './fit-steps';
import { loadModel } from './model';

const LOCK = '.update.lock';
const VERSIONED = /^(?:index|bank)-v\d+\.(?:faiss|f32)$/;
const BANK_KINDS = new Set<ModelVersion['kind']>(['fit', 'update', 'add-good']);

export interface UpdateInternals {
  backends?: Partial<EngineBackends>;
  onNote?: (msg: string) => void;
}

/** Takes the model's writer lock; returns its release. */
export async function lockModel(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new Error(`${dir}: another update or rollback (process ${pid}) is running on this model; wait for it to finish.`, { cause: err });
      }
      // The writer died (or the file is unreadable): its lock is stale.
      await rm(file, { force: true });
    }
  }
  throw new Error(`${dir}: cannot take the model's update lock (${file})`);
}

function referencedFiles(m: ModelManifest): Set<string> {
  const names = new Set<string>([m.bank.indexFile]);
  if (m.bank.bankFile) names.add(m.bank.bankFile);
  for (const h of m.history) {
    if (h.bank && !h.filesRemoved && !h.rolledBack) {
      names.add(h.bank.indexFile);
      if (h.bank.bankFile) names.add(h.bank.bankFile);
    }
  }
  return names;
}

/** Removes what an interrupted update left: versioned files no manifest entry names, and temp files. */
export async function discardPartial(dir: string, m: ModelManifest): Promise<string[]> {
  const keep = referencedFiles(m);
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if ((VERSIONED.test(name) && !keep.has(name)) || /\.\d+\.[0-9a-f]{8}\.tmp$/.test(name) || /\.tmp-\d+(?:-\d+)?$/.test(name)) {
      await rm(path.join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed.sort();
}

/** The bank-changing versions still in force, oldest first. */
function bankChain(m: ModelManifest): ModelVersion[] {
  return m.history.filter((h) => BANK_KINDS.has(h.kind) && !h.rolledBack);
}

/** The radius the model's bank was built with: the last bank-changing version that records one. */
export function recordedRadius(m: ModelManifest): number | undefined {
  return bankChain(m)
    .map((h) => h.radius)
    .filter((r): r is number => typeof r === 'number' && r > 0)
    .at(-1);
}

/** Deletes the files of bank versions older than the newest `keep`; returns the history with them marked. */
async function pruneVersions(dir: string, m: ModelManifest, keep: number): Promise<ModelVersion[]> {
  const chain = bankChain(m).filter((h) => h.bank && !h.filesRemoved);
  const old = new Set(chain.slice(0, Math.max(0, chain.length - keep)).map((h) => h.version));
  if (old.size === 0) return m.history;
  const live = new Set([m.bank.indexFile, m.bank.bankFile]);
  for (const h of chain.slice(-keep)) live.add(h.bank?.indexFile).add(h.bank?.bankFile);
  for (const h of m.history) {
    if (!old.has(h.version) || !h.bank) continue;
    for (const f of [h.bank.indexFile, h.bank.bankFile]) if (f && !live.has(f)) await rm(path.join(dir, f), { force: true });
  }
  return m.history.map((h) => (old.has(h.version) ? { ...h, filesRemoved: true } : h));
}

/** The keys the net compares: fit's coreset projection of the bank rows (same dimension and seed). */
async function projectKeys(x: Float32Array, dim: number, projectionDim: number, seed: number): Promise<Float32Array> {
  return randomProjection({ data: x, rows: x.length / dim, cols: dim }, projectionDim, seed);
}

export async function updateModel(o: UpdateOptions, internals: UpdateInternals = {}): Promise<UpdateResult> {
  const started = Date.now();
  const dir = path.resolve(o.model);
  const keepVersions = o.keepVersions ?? 3;
  if (!Number.isInteger(keepVersions) || keepVersions < 2) throw new Error(`keepVersions must be an integer >= 2, got ${keepVersions}`);
  if (o.radius !== undefined && !(Number.isFinite(o.radius) && o.radius > 0)) throw new Error(`radius must be a positive number, got ${o.radius}`);
  readManifest(dir);
  const source = openFitSource(o.data);
  const files = [...source.train, ...source.validation];
  const release = await lockModel(dir);
  try {
    const discarded = await discardPartial(dir, readManifest(dir));
    if (discarded.length) internals.onNote?.(`discarded the files of an interrupted update: ${discarded.join(', ')}`);
    const model = await loadModel(dir, { device: o.device, threads: o.threads, backends: internals.backends, onNote: internals.onNote });
    try {
      const m = model.manifest;
      const p = model.params;
      const radius = o.radius ?? recordedRadius(m);
      if (radius === undefined) {
        throw new Error(`${dir}: the model records no coverage radius (fitted with a random or no coreset); pass --radius R.`);
      }
      const dim = m.bank.dimension;
      const pdim = p.coreset.projectionDim;
      if (!m.bank.bankFile) throw new Error(`${dir}: the model has no bank file, so it cannot be updated. Fit it again.`);
      const bank = readBank(path.join(dir, m.bank.bankFile), m.bank.vectors, dim);
      const keys = await projectKeys(bank, dim, pdim, p.seed);
      const net = new EpsilonNet({ dim: pdim, radius, ...netLists(m.bank.vectors) });
      const added: Float32Array[] = [];
      let addedRows = 0;
      const skipped: SkippedFile[] = [];
      let images = 0;
      try {
        await net.train(keys, { seed: p.seed, signal: o.signal });
        await net.append(keys);
        const progress = new ProgressTracker('update', files.length, o.onProgress);
        await featureSource(model).each(
          files,
          async (_file, embedding, part) => {
            const patches = embedding.data;
            const res = await net.add(await projectKeys(patches, dim, pdim, p.seed));
            const rows = new Float32Array(res.added.length * dim);
            res.added.forEach((r, i) => rows.set(patches.subarray(r * dim, (r + 1) * dim), i * dim));
            added.push(rows);
            addedRows += res.added.length;
            // A tiled model's image arrives as one embedding per tile.
            if (part.tile === part.tiles - 1) images++;
            progress.set(images + skipped.length);
          },
          { strict: o.strict, signal: o.signal, skipped },
        );
        progress.set(files.length);
      } finally {
        await net.close();
      }
      if (images === 0) throw new Error(`none of the ${files.length} image(s) in ${source.root} could be read: ${skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}`);
      throwIfAborted(o.signal);

      // The new version's files, beside the current ones; nothing the current manifest names is touched.
      const wp = new ProgressTracker('write', 2, o.onProgress);
      const fresh = concatRows(added);
      const backends = await resolveBackends(internals.backends);
      const { version, bank: newBank } = await writeBankVersion(backends, dir, m, fresh, concatRows([bank, fresh]));
      wp.set(1);
      throwIfAborted(o.signal);
      const entry: ModelVersion = {
        version,
        createdAt: new Date().toISOString(),
        kind: 'update',
        addedImages: images,
        addedVectors: addedRows,
        bankVectors: newBank.vectors,
        radius,
        source: source.root,
        note: skipped.length ? `skipped ${skipped.length} unreadable image(s)` : undefined,
        bank: newBank,
        calibration: m.calibration,
      };
      // The version in force before this one gets its snapshot now if it lacks one (a fit records none).
      const current = bankChain(m).at(-1);
      const history = m.history.map((h) => (h === current && !h.bank ? { ...h, bank: m.bank, calibration: m.calibration } : h));
      const manifest: ModelManifest = { ...m, bank: newBank, history: [...history, entry] };
      await writeManifest(dir, manifest);
      wp.set(2);
      const pruned = await pruneVersions(dir, manifest, keepVersions);
      const committed = pruned === manifest.history ? manifest : { ...manifest, history: pruned };
      if (committed !== manifest) await writeManifest(dir, committed);
      return { version: entry, manifest: committed, skipped, discarded, seconds: (Date.now() - started) / 1000 };
    } finally {
      await model.close();
    }
  } finally {
    await release();
  }
}

export async function rollbackModel(o: RollbackOptions): Promise<RollbackResult> {
  const dir = path.resolve(o.model);
  readManifest(dir);
  const release = await lockModel(dir);
  try {
    const m = readManifest(dir);
    await discardPartial(dir, m);
    const chain = bankChain(m);
    const cur = chain.at(-1);
    const prev = chain.at(-2);
    if (!cur || !prev) throw new Error(`${dir}: nothing to roll back to; version ${cur?.version ?? 1} is the model's first.`);
    if (!prev.bank || prev.filesRemoved) {
      throw new Error(`${dir}: the files of version ${prev.version} are no longer kept, so the model cannot return to it.`);
    }
    for (const f of [prev.bank.indexFile, prev.bank.bankFile]) {
      if (f && !existsSync(path.join(dir, f))) throw new Error(`${dir}: ${f} of version ${prev.version} is missing; the model cannot return to it.`);
    }
    const entry: ModelVersion = {
      version: nextVersion(m),
      createdAt: new Date().toISOString(),
      kind: 'rollback',
      addedImages: 0,
      addedVectors: 0,
      bankVectors: prev.bank.vectors,
      radius: prev.radius,
      note: `rolled back version ${cur.version} to version ${prev.version}`,
    };
    const manifest: ModelManifest = {
      ...m,
      bank: prev.bank,
      calibration: prev.calibration ?? m.calibration,
      history: [...m.history.map((h) => (h === cur ? { ...h, rolledBack: true } : h)), entry],
    };
    await writeManifest(dir, manifest);
    await discardPartial(dir, manifest);
    return { version: entry, manifest };
  } finally {
    await release();
  }
}
