// The hot folder's journal: one SQLite row per part, through claimed → scored → moved (or kept in place, or error).
// Each step is committed before the next one starts, and each step can be redone, so a station killed at any instant
// resumes without scoring a part twice or losing one: a claimed part with a record (found by its part key) was scored,
// one without is scored again; a scored part is moved again (a move that already happened is recognised).
import path from 'node:path';
import type { DB } from './db';

export type PartState = 'claimed' | 'scored' | 'moved' | 'kept' | 'error';

export interface JournalEntry {
  id: number;
  folder: string;
  /** Path relative to the hot folder (forward slashes not assumed: as the OS lists it). */
  rel: string;
  size: number;
  mtimeMs: number;
  state: PartState;
  recordId: number | null;
  dest: string | null;
  /** The sidecar document, kept so that a restart can write it without the result in memory. */
  sidecar: Record<string, unknown> | null;
  error: string | null;
}

interface Row {
  id: number;
  folder: string;
  rel: string;
  size: number;
  mtime_ms: number;
  state: PartState;
  record_id: number | null;
  dest: string | null;
  sidecar: string | null;
  error: string | null;
}

function fromRow(r: Row): JournalEntry {
  return {
    id: r.id,
    folder: r.folder,
    rel: r.rel,
    size: r.size,
    mtimeMs: r.mtime_ms,
    state: r.state,
    recordId: r.record_id,
    dest: r.dest,
    sidecar: r.sidecar ? (JSON.parse(r.sidecar) as Record<string, unknown>) : null,
    error: r.error,
  };
}

/** The key a part's inspection record carries, so a restart can tell whether the part was already scored. */
export function partKey(id: number): string {
  return `part:${id}`;
}

export class PartJournal {
  private readonly stmts;

  constructor(private readonly db: DB) {
    this.stmts = {
      claim: db.prepare('INSERT INTO station_parts (folder, rel, size, mtime_ms, state, claimed_at) VALUES (?, ?, ?, ?, ?, ?)'),
      scored: db.prepare("UPDATE station_parts SET state = 'scored', record_id = ?, verdict = ?, sidecar = ?, dest = ? WHERE id = ?"),
      dest: db.prepare('UPDATE station_parts SET dest = ? WHERE id = ?'),
      // A finished part's sidecar is in its folder; the journal keeps only where it went.
      finish: db.prepare('UPDATE station_parts SET state = ?, dest = ?, error = ?, done_at = ?, sidecar = NULL WHERE id = ?'),
      open: db.prepare<[string], Row>("SELECT * FROM station_parts WHERE folder = ? AND state IN ('claimed', 'scored') ORDER BY id"),
      inPlace: db.prepare<[string], Row>("SELECT * FROM station_parts WHERE folder = ? AND state IN ('kept', 'error') AND dest IS NULL"),
      get: db.prepare<[number], Row>('SELECT * FROM station_parts WHERE id = ?'),
    };
  }

  claim(folder: string, rel: string, size: number, mtimeMs: number): number {
    return Number(this.stmts.claim.run(folder, rel, size, mtimeMs, 'claimed', Date.now()).lastInsertRowid);
  }

  scored(id: number, recordId: number, verdict: 'OK' | 'NG', sidecar: Record<string, unknown>, dest: string | null): void {
    this.stmts.scored.run(recordId, verdict, JSON.stringify(sidecar), dest, id);
  }

  /** Where a scored part is going, written before it is moved (so a restart moves it to the same place). */
  setDest(id: number, dest: string): void {
    this.stmts.dest.run(dest, id);
  }

  finish(id: number, state: 'moved' | 'kept' | 'error', dest: string | null, error: string | null = null): void {
    this.stmts.finish.run(state, dest, error, Date.now(), id);
  }

  get(id: number): JournalEntry | null {
    const r = this.stmts.get.get(id);
    return r ? fromRow(r) : null;
  }

  /** Parts of this folder whose handling a stop or crash interrupted, oldest first. */
  unfinished(folder: string): JournalEntry[] {
    return this.stmts.open.all(folder).map(fromRow);
  }

  /** Parts of this folder that were handled and left where they were (no sorting, or an error without an error folder). */
  *inPlace(folder: string): Iterable<JournalEntry> {
    for (const r of this.stmts.inPlace.iterate(folder)) yield fromRow(r);
  }

  /**
   * Forgets finished parts older than `before` (ms). A part left in place is forgotten only once its file is gone
   * (`exists`): while it is there, its row is what stops a restart from scoring it again.
   */
  async prune(before: number, exists: (file: string) => Promise<boolean>): Promise<number> {
    let n = this.db.prepare("DELETE FROM station_parts WHERE state IN ('moved', 'error') AND dest IS NOT NULL AND done_at < ?").run(before).changes;
    const page = this.db.prepare<[number, number], { id: number; folder: string; rel: string }>(
      "SELECT id, folder, rel FROM station_parts WHERE state IN ('kept', 'error') AND dest IS NULL AND done_at < ? AND id > ? ORDER BY id LIMIT 500",
    );
    const del = this.db.prepare('DELETE FROM station_parts WHERE id = ?');
    for (let after = 0; ; ) {
      const rows = page.all(before, after);
      if (!rows.length) return n;
      for (const r of rows) if (!(await exists(path.join(r.folder, r.rel)))) n += del.run(r.id).changes;
      after = rows[rows.length - 1].id;
    }
  }
}
