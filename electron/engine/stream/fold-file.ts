// `patchline fold`: a feature file (feature-file.ts) streamed through the epsilon-net fold (fold.ts) into a bank folder,
// for features extracted elsewhere (another line PC, a Python pipeline). The folder holds bank.f32 (the kept rows),
// index.faiss (the day-scale rule's compressed index, for an mmap load) and fold.json (what was folded, r and where it
// came from, the growth curve and alarms, the index choice). It appears whole or not at all: written in a sibling temp
// folder, fsynced, renamed; a failure or a cancel removes the temp folder and leaves an existing bank untouched.
import path from 'node:path';
import type { Progress } from '../api';
import { resolveBackends, type EngineBackends } from '../bank/backends';
import { buildIndex } from '../model/fit-steps';
import { stageFolder, writeBank } from '../model/artifact';
import { ProgressTracker, throwIfAborted } from '../progress';
import { StreamFolder, type FoldSummary } from './fold';
import { openFeatureFile, readFeatureChunks } from './feature-file';
import { chooseCompressedIndex } from '../bank/index-rule';

export const FOLD_FILE = 'fold.json';

export interface FoldFileOptions {
  /** A .npy (float32, rows × dim) or raw float32 file. */
  features: string;
  /** Row dimension: required for raw files, checked for .npy. */
  dim?: number;
  /** The bank folder to write. */
  out: string;
  overwrite?: boolean;
  /** r by hand; else from budgetVectors (predicted for the file's length); else from ratio on the warm-up (0.01). */
  radius?: number;
  budgetVectors?: number;
  ratio?: number;
  cap?: number;
  warmup?: number;
  /** Index memory budget, bytes (default 1.5 GB). */
  indexBudgetBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onNote?: (message: string) => void;
}

export interface FoldFileRecord {
  source: string;
  rows: number;
  dim: number;
  createdAt: string;
  seconds: number;
  summary: FoldSummary;
  index: { file: string; factory: string; params: Record<string, number>; reason: string };
  bankFile: string;
}

export async function foldFeatureFile(o: FoldFileOptions, backends?: Partial<EngineBackends>): Promise<{ dir: string; record: FoldFileRecord }> {
  const started = Date.now();
  const f = openFeatureFile(path.resolve(o.features), o.dim);
  const b = await resolveBackends(backends);
  const folder = new StreamFolder({
    dim: f.dim,
    radius: o.radius,
    budgetVectors: o.budgetVectors,
    streamVectors: f.rows,
    ratio: o.ratio,
    cap: o.cap,
    warmup: o.warmup,
    signal: o.signal,
    onAlarm: (a) => o.onNote?.(a.message),
  });
  const staged = await stageFolder(o.out, { marker: FOLD_FILE, what: 'PatchLine bank folder', overwrite: o.overwrite });
  const stage = staged.dir;
  try {
    const progress = new ProgressTracker('fold', f.rows, o.onProgress);
    let seen = 0;
    for await (const chunk of readFeatureChunks(f, 32768, o.signal)) {
      await folder.push(chunk);
      seen += chunk.length / f.dim;
      progress.set(seen, `bank ${folder.bankVectors.toLocaleString('en-US')}`);
    }
    const { keys, summary } = await folder.finish();
    throwIfAborted(o.signal);

    const vectors = keys.length / f.dim;
    const choice = chooseCompressedIndex(vectors, f.dim, o.indexBudgetBytes);
    const index = await buildIndex(b, f.dim, choice, keys, o);
    try {
      await index.write(path.join(stage, 'index.faiss'));
    } finally {
      index.close();
    }
    await writeBank(path.join(stage, 'bank.f32'), keys);
    const record: FoldFileRecord = {
      source: f.file,
      rows: f.rows,
      dim: f.dim,
      createdAt: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
      summary,
      index: { file: 'index.faiss', factory: choice.factory, params: { ...choice.params } as Record<string, number>, reason: choice.reason },
      bankFile: 'bank.f32',
    };
    const dir = await staged.commit(JSON.stringify(record, null, 2) + '\n');
    return { dir, record };
  } catch (err) {
    await staged.abort();
    throw err;
  } finally {
    await folder.close();
  }
}
