// Inspection records: one SQLite row per scored part, its image and heatmap thumbnail on disk beside the database.
// Files are written (atomically) before the row that points at them is committed, so a kill at any instant leaves either
// a complete record or none — at worst an unreferenced file, never a row without its image.
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { AppError } from '../../shared/errors';
import { colorize } from '../../shared/heatmap';
import { recordFilterSchema } from '../../shared/domain';
import type { InspectionRecord, RecordFilter, ReviewLabel, Role, Source, Verdict } from '../../shared/domain';
import type { RawImage } from '../engine/api';
import type { DB } from './db';
import { isTempFile, writeFilesAtomic } from '../engine/atomic-file';

export type StoredImage =
  | { kind: 'raw'; image: RawImage }
  /** `format` as sharp names it (jpeg, png, webp, tiff, …), from the bytes, not the file name. */
  | { kind: 'encoded'; bytes: Uint8Array; format: string };

export interface NewInspection {
  at: number;
  source: Source;
  sourceName: string;
  modelId: string;
  score: number;
  normalizedScore: number;
  threshold: number;
  verdict: Verdict;
  latencyMs: number;
  image: StoredImage;
  heatmap: Uint8Array;
  heatmapWidth: number;
  heatmapHeight: number;
  /** The hot folder's journal key of the part (journal.ts), so a restart can tell the part was already scored. */
  partKey?: string;
}

interface Row {
  id: number;
  at: number;
  source: Source;
  source_name: string;
  model_id: string;
  score: number;
  normalized_score: number;
  threshold: number;
  verdict: Verdict;
  latency_ms: number;
  image_path: string;
  heatmap_path: string;
  review_label: ReviewLabel | null;
  review_note: string | null;
  reviewed_at: number | null;
  reviewed_by: Role | null;
  added_to_bank: number;
  part_key: string | null;
  image_bytes: number | null;
}

export interface RecordStoreOptions {
  /** Whether part images may be written now (false below the free-space floor: retention.ts); verdicts always are. */
  imagesAllowed?: () => boolean;
  /** Told when a record could not keep its images (disk full), so the disk guard can look again at once. */
  onImagesDropped?: (reason: string) => void;
}

function fromRow(r: Row): InspectionRecord {
  return {
    id: r.id,
    at: r.at,
    source: r.source,
    sourceName: r.source_name,
    modelId: r.model_id,
    score: r.score,
    normalizedScore: r.normalized_score,
    threshold: r.threshold,
    verdict: r.verdict,
    latencyMs: r.latency_ms,
    imagePath: r.image_path,
    heatmapPath: r.heatmap_path,
    reviewLabel: r.review_label,
    reviewNote: r.review_note,
    reviewedAt: r.reviewed_at,
    reviewedBy: r.reviewed_by,
    addedToBank: r.added_to_bank === 1,
  };
}

/** Formats a browser shows, kept byte for byte; anything else is converted losslessly to PNG. */
const KEEP_AS_IS: Record<string, string> = { jpeg: '.jpg', png: '.png', webp: '.webp' };
const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

export const RECORDS_DIR = 'records';

export class RecordStore {
  private readonly insert;
  private readonly byId;
  private nextId: number;
  /** Records whose files are still being written: readers of such an id wait for it. */
  private readonly writing = new Map<number, Promise<InspectionRecord>>();
  private readonly committedListeners = new Set<(r: InspectionRecord) => void>();

  constructor(
    private readonly db: DB,
    private readonly dataDir: string,
    private readonly opts: RecordStoreOptions = {},
  ) {
    this.insert = db.prepare(`
      INSERT INTO inspections (id, at, source, source_name, model_id, score, normalized_score, threshold, verdict, latency_ms,
                               image_path, heatmap_path, part_key, image_bytes)
      VALUES (@id, @at, @source, @sourceName, @modelId, @score, @normalizedScore, @threshold, @verdict, @latencyMs,
              @imagePath, @heatmapPath, @partKey, @imageBytes)`);
    this.byId = db.prepare<[number], Row>('SELECT * FROM inspections WHERE id = ?');
    // Ids are handed out before the files are written, so a verdict can go back to the window at once; a part lost
    // to a crash mid-write leaves a gap in the ids, never a row without its files.
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'inspections'").get() as { seq: number } | undefined;
    const max = db.prepare('SELECT MAX(id) AS m FROM inspections').get() as { m: number | null };
    this.nextId = Math.max(seq?.seq ?? 0, max.m ?? 0) + 1;
  }

  /** Removes temp files a killed process left behind (never a file a row points at: those were renamed into place). */
  async sweepTemp(): Promise<number> {
    const root = path.join(this.dataDir, RECORDS_DIR);
    let removed = 0;
    const days = await readdir(root).catch(() => [] as string[]);
    for (const d of days) {
      const names = await readdir(path.join(root, d)).catch(() => [] as string[]);
      for (const n of names.filter(isTempFile)) {
        await rm(path.join(root, d, n), { force: true });
        removed++;
      }
    }
    return removed;
  }

  absPath(rel: string): string {
    const abs = path.resolve(this.dataDir, rel);
    if (!abs.startsWith(path.resolve(this.dataDir) + path.sep)) throw new AppError('BAD_REQUEST', 'Record path outside the data folder.');
    return abs;
  }

  /** Writes a record in the background; its id is known at once. */
  begin(n: NewInspection): { id: number; saved: Promise<InspectionRecord> } {
    const id = this.nextId++;
    const saved = this.write(id, n).finally(() => this.writing.delete(id));
    this.writing.set(id, saved);
    // After the id has left `writing`, so that a listener's since() already sees it.
    saved.then(
      (rec) => {
        for (const l of this.committedListeners) l(rec);
      },
      () => undefined,
    );
    return { id, saved };
  }

  save(n: NewInspection): Promise<InspectionRecord> {
    return this.begin(n).saved;
  }

  /** Records still being written (for bounded queues upstream). */
  get pendingWrites(): number {
    return this.writing.size;
  }

  /** Waits for every record still being written (before closing the database). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
  }

  /** Resolves once the record is on disk (at once if it already is). */
  async settled(id: number): Promise<void> {
    await this.writing.get(id)?.catch(() => undefined);
  }

  /** Resolves once the record is committed; rejects if it could not be written. */
  async committed(id: number): Promise<void> {
    const w = this.writing.get(id);
    if (w) await w;
    else this.get(id);
  }

  /** Every record id below this one is committed or lost for good (ids are handed out before their rows commit). */
  committedBelow(): number {
    let min = this.nextId;
    for (const id of this.writing.keys()) if (id < min) min = id;
    return min;
  }

  /** Told of each record once it is committed, in commit order. */
  onCommitted(listener: (r: InspectionRecord) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  /** The record of a hot-folder part, by its journal key. */
  byPartKey(key: string): InspectionRecord | null {
    const r = this.db.prepare<[string], Row>('SELECT * FROM inspections WHERE part_key = ?').get(key);
    return r ? fromRow(r) : null;
  }

  /** Committed records with id > afterId (and at >= fromMs, at < toMs), ascending, at most `limit`. */
  since(q: { afterId?: number; from?: number; to?: number; limit: number }): InspectionRecord[] {
    return this.rowsSince(q).map(fromRow);
  }

  private rowsSince(q: { afterId?: number; from?: number; to?: number; limit: number }): Row[] {
    return this.db
      .prepare<[number, number, number, number, number], Row>(
        'SELECT * FROM inspections WHERE id > ? AND id < ? AND at >= ? AND at < ? ORDER BY id LIMIT ?',
      )
      .all(q.afterId ?? 0, this.committedBelow(), q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.limit);
  }

  /** The part's image and heatmap files (both before the row, with one fsync of their day's folder). */
  private async writeImages(n: NewInspection): Promise<{ imagePath: string; heatmapPath: string; imageBytes: number }> {
    const day = new Date(n.at).toISOString().slice(0, 10);
    const stem = `${n.at}-${Math.random().toString(36).slice(2, 8)}`;
    const { bytes, ext } = await encodeImage(n.image);
    const imagePath = path.posix.join(RECORDS_DIR, day, `${stem}${ext}`);
    const heatmapPath = path.posix.join(RECORDS_DIR, day, `${stem}.heat.png`);
    const heat = await sharp(Buffer.from(colorize(n.heatmap).buffer), {
      raw: { width: n.heatmapWidth, height: n.heatmapHeight, channels: 4 },
    })
      .png()
      .toBuffer();
    await writeFilesAtomic(path.dirname(this.absPath(imagePath)), [
      { name: path.posix.basename(imagePath), data: bytes },
      { name: path.posix.basename(heatmapPath), data: heat },
    ]);
    return { imagePath, heatmapPath, imageBytes: bytes.byteLength + heat.byteLength };
  }

  private async write(id: number, n: NewInspection): Promise<InspectionRecord> {
    // Below the free-space floor, or when the disk fills up mid-write, the verdict is recorded without its images.
    let files = { imagePath: '', heatmapPath: '', imageBytes: 0 };
    if (this.opts.imagesAllowed?.() ?? true) {
      try {
        files = await this.writeImages(n);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOSPC' && code !== 'EDQUOT') throw e;
        this.opts.onImagesDropped?.(`the disk is full (${code})`);
      }
    }
    const { imagePath, heatmapPath, imageBytes } = files;
    this.insert.run({
      id,
      at: n.at,
      source: n.source,
      sourceName: n.sourceName,
      modelId: n.modelId,
      score: n.score,
      normalizedScore: n.normalizedScore,
      threshold: n.threshold,
      verdict: n.verdict,
      latencyMs: n.latencyMs,
      imagePath,
      heatmapPath,
      partKey: n.partKey ?? null,
      imageBytes,
    });
    return this.get(id);
  }

  get(id: number): InspectionRecord {
    const r = this.byId.get(id);
    if (!r) throw new AppError('NOT_FOUND', `No inspection record ${id}.`);
    return fromRow(r);
  }

  list(filter: RecordFilter): { items: InspectionRecord[]; total: number } {
    const f = recordFilterSchema.parse(filter);
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    const add = (sql: string, key: string, value: unknown) => {
      where.push(sql);
      params[key] = value;
    };
    if (f.from !== undefined) add('at >= @from', 'from', f.from);
    if (f.to !== undefined) add('at < @to', 'to', f.to);
    if (f.verdict) add('verdict = @verdict', 'verdict', f.verdict);
    if (f.scoreMin !== undefined) add('normalized_score >= @scoreMin', 'scoreMin', f.scoreMin);
    if (f.scoreMax !== undefined) add('normalized_score <= @scoreMax', 'scoreMax', f.scoreMax);
    if (f.modelId) add('model_id = @modelId', 'modelId', f.modelId);
    if (f.label === 'unlabelled') where.push('review_label IS NULL');
    else if (f.label) add('review_label = @label', 'label', f.label);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM inspections ${clause}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare<Record<string, unknown>, Row>(`SELECT * FROM inspections ${clause} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: f.limit, offset: f.offset });
    return { items: rows.map(fromRow), total };
  }

  async label(id: number, label: ReviewLabel, note: string | undefined, role: Role): Promise<InspectionRecord> {
    await this.settled(id);
    const r = this.db
      .prepare('UPDATE inspections SET review_label = ?, review_note = ?, reviewed_at = ?, reviewed_by = ? WHERE id = ?')
      .run(label, note?.trim() || null, Date.now(), role, id);
    if (r.changes === 0) throw new AppError('NOT_FOUND', `No inspection record ${id}.`);
    return this.get(id);
  }

  markAddedToBank(ids: number[]): void {
    const stmt = this.db.prepare('UPDATE inspections SET added_to_bank = 1 WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => stmt.run(id)))();
  }

  /** Reviewed scores for a model: confirmed defects are positives, confirmed false alarms negatives. */
  reviewedScores(modelId: string): { id: number; score: number; label: ReviewLabel }[] {
    return this.db
      .prepare<[string], { id: number; score: number; label: ReviewLabel }>(
        'SELECT id, score, review_label AS label FROM inspections WHERE model_id = ? AND review_label IS NOT NULL',
      )
      .all(modelId);
  }

  async readImage(id: number, kind: 'image' | 'heatmap'): Promise<{ mime: string; bytes: Uint8Array }> {
    await this.settled(id);
    const rec = this.get(id);
    const rel = kind === 'image' ? rec.imagePath : rec.heatmapPath;
    if (!rel) throw new AppError('NOT_FOUND', `Record ${id} has no ${kind}: it was removed by retention, or the disk was too full to keep it.`);
    const bytes = await readFile(this.absPath(rel)).catch(() => {
      throw new AppError('NOT_FOUND', `The ${kind} file of record ${id} is missing (${rel}).`);
    });
    return { mime: MIME[path.extname(rel).toLowerCase()] ?? 'application/octet-stream', bytes: new Uint8Array(bytes) };
  }

  exportCsv(from: number, to: number): { csv: string; rows: number } {
    const stmt = this.db.prepare<[number, number], Row>('SELECT * FROM inspections WHERE at >= ? AND at < ? ORDER BY at, id');
    return toCsv(stmt.iterate(from, to));
  }

  /** Committed records as CSV, by the same query as since(). */
  exportCsvSince(q: { afterId?: number; from?: number; to?: number; limit: number }): { csv: string; rows: number; lastId: number | null } {
    const rows = this.rowsSince(q);
    return { ...toCsv(rows), lastId: rows.length ? rows[rows.length - 1].id : null };
  }
}

const CSV_COLUMNS = [
  'id',
  'time',
  'source',
  'source_name',
  'model_id',
  'score',
  'normalized_score',
  'threshold',
  'verdict',
  'latency_ms',
  'image_path',
  'heatmap_path',
  'review_label',
  'review_note',
  'reviewed_at',
  'reviewed_by',
  'added_to_bank',
];

function toCsv(rows: Iterable<Row>): { csv: string; rows: number } {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.id,
        new Date(r.at).toISOString(),
        r.source,
        csvText(r.source_name),
        csvText(r.model_id),
        r.score,
        r.normalized_score,
        r.threshold,
        r.verdict,
        r.latency_ms.toFixed(2),
        csvText(r.image_path),
        csvText(r.heatmap_path),
        r.review_label ?? '',
        csvText(r.review_note ?? ''),
        r.reviewed_at === null ? '' : new Date(r.reviewed_at).toISOString(),
        r.reviewed_by ?? '',
        r.added_to_bank,
      ].join(','),
    );
  }
  return { csv: lines.join('\r\n') + '\r\n', rows: lines.length - 1 };
}

/** RFC 4180 quoting, and a leading quote mark on text a spreadsheet would run as a formula. */
export function csvText(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

async function encodeImage(img: StoredImage): Promise<{ bytes: Uint8Array; ext: string }> {
  if (img.kind === 'raw') {
    const { data, width, height, channels } = img.image;
    const jpeg = await sharp(data, { raw: { width, height, channels } }).removeAlpha().jpeg({ quality: 90 }).toBuffer();
    return { bytes: jpeg, ext: '.jpg' };
  }
  const ext = KEEP_AS_IS[img.format];
  if (ext) return { bytes: img.bytes, ext };
  return { bytes: await sharp(img.bytes).png().toBuffer(), ext: '.png' };
}
