// Scores parts from every source (camera frames, dropped files, the hot folder) and records each one. The number of
// parts in flight is bounded: past the limit a part is refused with BUSY at once (the live screen drops that frame)
// rather than queued without bound.
import sharp from 'sharp';
import { AppError } from '../../shared/errors';
import type { InspectionResult, Source } from '../../shared/domain';
import type { EngineWorker } from './worker/engine-client';
import type { ImageInput } from '../engine/api';
import type { ModelRegistry } from './models';
import type { Metrics } from './metrics';
import type { RecordStore, StoredImage } from './records';

/** Records allowed to be still writing while new verdicts go out. */
export const MAX_PENDING_WRITES = 8;

/** Long side of the heatmap sent to the window and stored as a thumbnail. */
export const HEATMAP_MAX = 112;

export interface InspectionOptions {
  /** Parts allowed in flight at once (engine + record writing). */
  maxInFlight?: number;
}

export class InspectionService {
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly listeners = new Set<(r: InspectionResult) => void>();

  constructor(
    private readonly engine: EngineWorker,
    private readonly models: ModelRegistry,
    private readonly records: RecordStore,
    private readonly metrics: Metrics,
    opts: InspectionOptions = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? 4;
  }

  /** Called when a record could not be written (the verdict was already given). */
  onRecordError: (e: Error) => void = (e) => console.error(`[patchline] an inspection record could not be written: ${e.message}`);

  get pending(): number {
    return this.inFlight;
  }

  onResult(listener: (r: InspectionResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `partKey`: the hot folder's journal key of the part, kept with its record (journal.ts). */
  async inspectEncoded(bytes: Uint8Array, name: string, source: Source, opts: { partKey?: string } = {}): Promise<InspectionResult> {
    // JPEG and PNG (every camera frame, most line cameras) are known by their signature; the engine decodes them and
    // tells their size. Anything else is read by its header first, so a broken or foreign file is refused before it
    // costs the engine anything.
    const known = sniffFormat(bytes);
    if (known) return this.run(source, name, { kind: 'encoded', bytes }, { kind: 'encoded', bytes, format: known }, undefined, opts.partKey);
    const meta = await sharp(bytes)
      .metadata()
      .catch((e: Error) => {
        throw new AppError('BAD_IMAGE', `Could not read image "${name}": ${e.message}`, { file: name });
      });
    if (!meta.width || !meta.height) throw new AppError('BAD_IMAGE', `Could not read image "${name}": no image size in its header.`, { file: name });
    const size = { width: meta.width, height: meta.height };
    return this.run(source, name, { kind: 'encoded', bytes }, { kind: 'encoded', bytes, format: meta.format ?? 'unknown' }, size, opts.partKey);
  }

  private async run(
    source: Source,
    sourceName: string,
    input: ImageInput,
    stored: StoredImage,
    imageSize?: { width: number; height: number },
    partKey?: string,
  ): Promise<InspectionResult> {
    if (this.inFlight >= this.maxInFlight) {
      this.metrics.drop();
      throw new AppError('BUSY', 'The inspection queue is full; this part was skipped.');
    }
    this.inFlight++;
    try {
      const t0 = performance.now();
      const at = Date.now();
      const modelId = await this.models.ensureLoaded();
      let p;
      try {
        // The engine keeps its own copy of the pixels: the worker gets the buffer, main keeps the view for the record.
        p = await this.engine.model(modelId).inspect(input, { imageSize, heatmapMax: HEATMAP_MAX });
      } catch (e) {
        if (e instanceof AppError) throw e;
        throw new AppError('BAD_IMAGE', `Could not read image "${sourceName}": ${(e as Error).message}`, { file: sourceName });
      }
      const latencyMs = performance.now() - t0;
      this.metrics.record(latencyMs, p.verdict);
      const part = {
        at,
        source,
        sourceName,
        modelId,
        score: p.score,
        normalizedScore: p.normalizedScore,
        threshold: p.threshold,
        verdict: p.verdict,
        latencyMs,
      };
      const rec = this.records.begin({
        ...part,
        image: stored,
        heatmap: p.heatmap,
        heatmapWidth: p.heatmapWidth,
        heatmapHeight: p.heatmapHeight,
        partKey,
      });
      // The verdict goes back now; the record is written meanwhile. Too many writes behind means the disk cannot keep up:
      // then this part waits for its own record, which slows the line down instead of growing memory.
      if (this.records.pendingWrites > MAX_PENDING_WRITES) await rec.saved;
      else rec.saved.catch((e: Error) => this.onRecordError(e));
      const result: InspectionResult = {
        recordId: rec.id,
        ...part,
        timings: p.timings,
        heatmap: { width: p.heatmapWidth, height: p.heatmapHeight, data: p.heatmap },
        imageWidth: p.imageWidth,
        imageHeight: p.imageHeight,
      };
      for (const l of this.listeners) l(result);
      return result;
    } finally {
      this.inFlight--;
    }
  }
}

/** JPEG or PNG by their file signature (sharp's names), else null. */
export function sniffFormat(bytes: Uint8Array): 'jpeg' | 'png' | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= png.length && png.every((b, i) => bytes[i] === b)) return 'png';
  return null;
}
