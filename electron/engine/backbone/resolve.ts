// Finds a backbone's ONNX file: explicit path, $PATCHLINE_MODELS, ../shared/models (development and CI), the installed
// app's resources (the packaged default backbone), the user cache, then the card's download URL. Every file found is checked against the expected sha256 before it is used.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LongRunning } from '../api';
import type { BackboneCard } from './card';
import { packagedResourcesDir, sharedDir, userCacheDir } from '../paths';

export type ModelSource = 'explicit' | 'env' | 'shared' | 'packaged' | 'cache' | 'download';

export interface ResolvedModel {
  path: string;
  sha256: string;
  source: ModelSource;
}

export interface ResolveOptions extends LongRunning {
  /** A path given by the user (CLI --model-file, app setting). */
  explicitPath?: string;
  /** Overrides the card's sha256, e.g. the one an artifact was fitted with. */
  expectedSha256?: string | null;
  /** Allow the download step (default true). */
  download?: boolean;
}

export function modelsCacheDir(): string {
  return path.join(userCacheDir(), 'models');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function candidatePaths(card: BackboneCard, explicitPath?: string): { path: string; source: ModelSource }[] {
  const list: { path: string; source: ModelSource }[] = [];
  if (explicitPath) list.push({ path: path.resolve(explicitPath), source: 'explicit' });
  if (process.env.PATCHLINE_MODELS) list.push({ path: path.join(process.env.PATCHLINE_MODELS, card.file), source: 'env' });
  list.push({ path: path.join(sharedDir(), 'models', card.file), source: 'shared' });
  const packaged = packagedResourcesDir();
  if (packaged) list.push({ path: path.join(packaged, 'models', card.file), source: 'packaged' });
  list.push({ path: path.join(modelsCacheDir(), card.file), source: 'cache' });
  return list;
}

function mismatch(file: string, expected: string, actual: string, card: BackboneCard): Error {
  return new Error(
    `Backbone file ${file} has sha256 ${actual}, but ${card.id} expects ${expected}. ` +
      'It is a different or damaged file: replace it with the right one (or delete it so PatchLine fetches it again), ' +
      'or pass the card that matches it.',
  );
}

export async function resolveModelFile(card: BackboneCard, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const expected = opts.expectedSha256 !== undefined ? opts.expectedSha256 : card.sha256;
  const candidates = candidatePaths(card, opts.explicitPath);
  if (opts.explicitPath && !existsSync(candidates[0].path)) {
    throw new Error(`Backbone file ${candidates[0].path} does not exist.`);
  }
  for (const c of candidates) {
    if (!existsSync(c.path)) continue;
    const actual = await sha256File(c.path);
    if (expected && actual !== expected) throw mismatch(c.path, expected, actual, card);
    return { path: c.path, sha256: actual, source: c.source };
  }
  const where = candidates.map((c) => `  ${c.path}`).join('\n');
  if (opts.download === false || !card.url) {
    throw new Error(
      `Backbone ${card.id} needs ${card.file}, which is in none of:\n${where}\n` +
        (card.url ? 'Downloading is switched off; ' : 'This card has no download URL; ') +
        `put the file in one of those places or set PATCHLINE_MODELS to its folder.`,
    );
  }
  if (!expected) throw new Error(`Backbone ${card.id} has a download URL but no sha256 to check it against; refusing to download.`);
  const file = await download(card.url, path.join(modelsCacheDir(), card.file), expected, card, opts);
  return { path: file, sha256: expected, source: 'download' };
}

/** Streams to a temp file beside the target, verifies the sha256, fsyncs, then renames into place. */
export async function download(url: string, target: string, expected: string, card: BackboneCard, opts: LongRunning = {}): Promise<string> {
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  let res: Response;
  try {
    res = await fetch(url, { signal: opts.signal });
  } catch (err) {
    throw new Error(`Could not download ${card.id} from ${url}: ${(err as Error).message}. Put ${card.file} in ${path.dirname(target)} by hand.`, { cause: err });
  }
  if (!res.ok || !res.body) throw new Error(`Could not download ${card.id} from ${url}: HTTP ${res.status}. Put ${card.file} in ${path.dirname(target)} by hand.`);
  const total = Number(res.headers.get('content-length')) || card.bytes || 0;
  const hash = createHash('sha256');
  const fh = await open(tmp, 'w');
  let done = 0;
  const started = Date.now();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      await fh.write(chunk);
      done += chunk.length;
      const secs = (Date.now() - started) / 1000;
      opts.onProgress?.({ phase: 'download', done, total, etaSeconds: total && done ? (secs * (total - done)) / done : null });
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  const actual = hash.digest('hex');
  if (actual !== expected) {
    await rm(tmp, { force: true });
    throw new Error(`Downloaded ${url} has sha256 ${actual}, expected ${expected}: refused and deleted. Check the URL or the network proxy.`);
  }
  await rename(tmp, target);
  return target;
}
