// Retention and the disk guard. Part images (and their heatmaps) are kept for N days or up to M GB, whichever is
// reached first, the oldest going first; verdict records are always kept. Below a free-space floor the station warns
// and goes on scoring and recording verdicts without images, instead of failing when the disk fills up.
import { rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { RetentionSettings } from '../../shared/settings';
import type { DB } from './db';
import type { PartJournal } from './journal';

/** Free bytes on the disk holding `dir` (injectable: tests fake a full disk). */
export type FreeSpaceProbe = (dir: string) => Promise<number>;

export const statfsProbe: FreeSpaceProbe = async (dir) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

const GB = 1024 ** 3;
const DAY = 24 * 3600 * 1000;

export interface DiskStatus {
  freeBytes: number | null;
  low: boolean;
  imagesBytes: number;
  warning: string | null;
}

export interface RetentionOptions {
  probe?: FreeSpaceProbe;
  /** How often the free space is looked at (ms); retention runs every `sweepEvery` checks. */
  checkMs?: number;
  sweepEvery?: number;
  log?: (m: string) => void;
  now?: () => number;
}

interface ImageRow {
  id: number;
  image_path: string;
  heatmap_path: string;
  image_bytes: number | null;
}

export class Retention {
  private settings: RetentionSettings;
  private freeBytes: number | null = null;
  private low = false;
  private warning: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private ticks = 0;
  private running: Promise<void> | null = null;
  private readonly probe: FreeSpaceProbe;
  private readonly sumImages;
  private bytesCache: { at: number; bytes: number } | null = null;

  constructor(
    private readonly db: DB,
    private readonly dataDir: string,
    settings: RetentionSettings,
    private readonly journal: PartJournal | null,
    private readonly opts: RetentionOptions = {},
  ) {
    this.settings = settings;
    this.probe = opts.probe ?? statfsProbe;
    this.sumImages = db.prepare("SELECT COALESCE(SUM(image_bytes), 0) AS b FROM inspections WHERE image_path != ''");
  }

  configure(settings: RetentionSettings): void {
    this.settings = settings;
    void this.tick(true);
  }

  /** Whether part images may be written now (RecordStore asks before every record). */
  imagesAllowed(): boolean {
    return !this.low;
  }

  /** A write just failed for lack of space: no images until the next regular check finds room again. */
  imagesDropped(reason: string): void {
    if (!this.low) this.setLow(true, `Part images are not being kept: ${reason}. Verdicts are still recorded.`);
  }

  status(): DiskStatus {
    return { freeBytes: this.freeBytes, low: this.low, imagesBytes: this.imagesBytes(), warning: this.warning };
  }

  /** Bytes of part images kept: a scan of every record, so at most one every 30 s for status (sweeps ask afresh). */
  private imagesBytes(fresh = false): number {
    const now = Date.now();
    if (fresh || !this.bytesCache || now - this.bytesCache.at > 30_000) {
      this.bytesCache = { at: now, bytes: (this.sumImages.get() as { b: number }).b };
    }
    return this.bytesCache.bytes;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(false), this.opts.checkMs ?? 10_000);
    this.timer.unref();
    void this.tick(true);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One check of the free space, and (every sweepEvery-th check, or when asked) a retention sweep. */
  tick(sweep: boolean): Promise<void> {
    if (this.running) return this.running;
    const doSweep = sweep || ++this.ticks % (this.opts.sweepEvery ?? 60) === 0;
    this.running = (async () => {
      try {
        if (doSweep) await this.sweep();
        await this.checkSpace();
      } catch (e) {
        this.opts.log?.(`retention: ${(e as Error).message}`);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async checkSpace(): Promise<void> {
    const free = await this.probe(this.dataDir);
    this.freeBytes = free;
    const floor = this.settings.minFreeGB * GB;
    if (free < floor && !this.low) {
      // Make room from the oldest images first; if that is not enough, stop keeping new ones.
      await this.sweep(floor - free);
      const after = await this.probe(this.dataDir);
      this.freeBytes = after;
      if (after < floor) {
        this.setLow(
          true,
          `Free disk space is below ${this.settings.minFreeGB} GB (${(after / GB).toFixed(2)} GB left on the disk of ${this.dataDir}): ` +
            'part images are not being kept; verdicts are still recorded.',
        );
      }
    } else if (free >= floor && this.low) {
      this.setLow(false, null);
    }
  }

  private setLow(low: boolean, warning: string | null): void {
    this.low = low;
    this.warning = warning;
    this.opts.log?.(warning ?? 'Free disk space is back above the floor: part images are kept again.');
  }

  /** Deletes images past the age and size limits (and `extraBytes` more, oldest first). Returns bytes freed. */
  async sweep(extraBytes = 0): Promise<number> {
    const now = this.opts.now?.() ?? Date.now();
    let freed = 0;
    if (this.settings.keepDays > 0) {
      const cutoff = now - this.settings.keepDays * DAY;
      freed += await this.purge('SELECT id, image_path, heatmap_path, image_bytes FROM inspections WHERE image_path != \'\' AND at < ? ORDER BY at, id LIMIT 500', [cutoff], Infinity);
      const exists = (f: string) => stat(f).then(() => true, () => false);
      await this.journal?.prune(cutoff, exists);
    }
    const cap = this.settings.maxGB > 0 ? this.settings.maxGB * GB : Infinity;
    const over = Math.max(0, this.imagesBytes(true) - cap) + extraBytes;
    if (over > 0) freed += await this.purge("SELECT id, image_path, heatmap_path, image_bytes FROM inspections WHERE image_path != '' ORDER BY at, id LIMIT 500", [], over);
    if (freed) this.bytesCache = null;
    return freed;
  }

  /** Removes the files of the rows the query returns, batch by batch, until `budget` bytes are freed. */
  private async purge(sql: string, params: unknown[], budget: number): Promise<number> {
    const select = this.db.prepare<unknown[], ImageRow>(sql);
    const clear = this.db.prepare("UPDATE inspections SET image_path = '', heatmap_path = '', image_bytes = 0 WHERE id = ?");
    let freed = 0;
    for (;;) {
      const rows = select.all(...params);
      if (!rows.length) return freed;
      for (const r of rows) {
        const bytes = r.image_bytes ?? (await this.sizeOf(r));
        for (const rel of [r.image_path, r.heatmap_path]) if (rel) await rm(path.join(this.dataDir, rel), { force: true });
        // Files first, then the row: a crash in between leaves a row whose image reads as missing, never a file that
        // no row points at (which nothing would ever delete).
        clear.run(r.id);
        freed += bytes;
        if (freed >= budget) return freed;
      }
    }
  }

  private async sizeOf(r: ImageRow): Promise<number> {
    let n = 0;
    for (const rel of [r.image_path, r.heatmap_path]) n += (await stat(path.join(this.dataDir, rel)).catch(() => null))?.size ?? 0;
    return n;
  }
}
