// Sorting parts into OK / NG / error folders: idempotent moves (a restart that finds the part already at its
// destination is done), across disks too, and the JSON sidecar written atomically beside the part before it arrives,
// so whatever watches the OK/NG folder never sees a part without its sidecar.
import { copyFile, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { InspectionRecord, InspectionResult } from '../../shared/domain';
import { fsyncPath, writeFilesAtomic } from '../engine/atomic-file';

/** The sidecar's file name: beside the part, the part's full name plus .json (part.png → part.png.json). */
export function sidecarPath(part: string): string {
  return `${part}.json`;
}

export interface PartContext {
  modelVersion: number | null;
  device: string | null;
}

/** What a sidecar (and the journal) holds about a scored part. */
export function sidecarOf(file: string, r: InspectionResult | InspectionRecord, ctx: PartContext, recordId: number): Record<string, unknown> {
  return {
    file,
    verdict: r.verdict,
    score: r.score,
    normalizedScore: r.normalizedScore,
    threshold: r.threshold,
    model: { id: r.modelId, version: ctx.modelVersion },
    recordId,
    at: new Date(r.at).toISOString(),
    latencyMs: r.latencyMs,
    // Per-stage engine times; null for a part whose result was recovered from its record after a restart.
    timings: 'timings' in r ? r.timings : null,
    device: ctx.device,
  };
}

export function errorSidecar(file: string, code: string, message: string): Record<string, unknown> {
  return { file, verdict: null, error: { code, message }, at: new Date().toISOString() };
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** `dir/rel`, or `dir/rel~id` (before the extension) when a different file already has that name. */
export async function uniqueDest(dir: string, rel: string, id: number): Promise<string> {
  const dest = path.join(dir, rel);
  if (!(await exists(dest))) return dest;
  const ext = path.extname(dest);
  return `${dest.slice(0, dest.length - ext.length)}~${id}${ext}`;
}

export async function writeSidecar(part: string, doc: Record<string, unknown>): Promise<void> {
  await writeFilesAtomic(path.dirname(part), [{ name: path.basename(sidecarPath(part)), data: JSON.stringify(doc, null, 2) + '\n' }]);
}

/**
 * Moves src to dest (creating dest's folder). Idempotent: src gone and dest there means an earlier attempt finished.
 * Across file systems (EXDEV) it copies to a temp name, fsyncs, renames into place and only then removes the source.
 */
export async function movePart(src: string, dest: string): Promise<'moved' | 'already'> {
  const dir = path.dirname(dest);
  await mkdir(dir, { recursive: true });
  try {
    await rename(src, dest);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !(await exists(src)) && (await exists(dest))) return 'already';
    if (code !== 'EXDEV') throw e;
    const tmp = path.join(dir, `.${path.basename(dest)}.${process.pid}.move.tmp`);
    await copyFile(src, tmp);
    const fh = await open(tmp, 'r+');
    await fh.sync().finally(() => fh.close());
    await rename(tmp, dest);
    await fsyncPath(dir);
    await rm(src, { force: true });
    return 'moved';
  }
  await fsyncPath(dir);
  return 'moved';
}
