// The workstation's SQLite database (better-sqlite3, WAL). One file in the data folder; images live beside it.
// WAL + synchronous=NORMAL: a commit survives the app being killed at any instant (the WAL is replayed on open); after a
// power cut the database is still consistent and may lack only the last moments of records.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export type DB = Database.Database;

const migrations: string[] = [
  `
  CREATE TABLE inspections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('camera', 'hotfolder', 'file')),
    source_name TEXT NOT NULL,
    model_id TEXT NOT NULL,
    score REAL NOT NULL,
    normalized_score REAL NOT NULL,
    threshold REAL NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('OK', 'NG')),
    latency_ms REAL NOT NULL,
    image_path TEXT NOT NULL,
    heatmap_path TEXT NOT NULL,
    review_label TEXT CHECK (review_label IN ('true_defect', 'false_alarm')),
    review_note TEXT,
    reviewed_at INTEGER,
    reviewed_by TEXT CHECK (reviewed_by IN ('operator', 'engineer')),
    added_to_bank INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX inspections_at ON inspections (at);
  CREATE INDEX inspections_verdict_at ON inspections (verdict, at);

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'engineer')),
    action TEXT NOT NULL,
    target TEXT,
    ok INTEGER NOT NULL,
    details TEXT
  );
  CREATE INDEX audit_at ON audit (at);

  CREATE TABLE models (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    dir TEXT NOT NULL,
    created_at TEXT NOT NULL,
    manifest TEXT NOT NULL,
    threshold REAL NOT NULL,
    calibrated_threshold REAL NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE evaluations (
    model_id TEXT NOT NULL,
    path TEXT NOT NULL,
    defect TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label IN (0, 1)),
    score REAL NOT NULL,
    evaluated_at INTEGER NOT NULL,
    PRIMARY KEY (model_id, path)
  );

  CREATE TABLE pin (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    params TEXT NOT NULL,
    set_at INTEGER NOT NULL
  );

  CREATE TABLE pin_failures (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL
  );
  `,
  // The line station: the hot folder's journal of parts (claimed → scored → moved/kept/error), so a restart after a
  // crash scores no part twice and loses none; each record's part key (the journal row it came from) and image bytes
  // (for the retention cap); station settings; the line outputs' cursors over the records.
  `
  ALTER TABLE inspections ADD COLUMN part_key TEXT;
  ALTER TABLE inspections ADD COLUMN image_bytes INTEGER;
  CREATE UNIQUE INDEX inspections_part_key ON inspections (part_key) WHERE part_key IS NOT NULL;

  CREATE TABLE station_parts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    folder TEXT NOT NULL,
    rel TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'scored', 'moved', 'kept', 'error')),
    claimed_at INTEGER NOT NULL,
    done_at INTEGER,
    record_id INTEGER,
    verdict TEXT CHECK (verdict IN ('OK', 'NG')),
    dest TEXT,
    sidecar TEXT,
    error TEXT
  );
  CREATE INDEX station_parts_folder_state ON station_parts (folder, state);

  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE output_cursors (
    sink TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
  );
  `,
];

export function openDatabase(file: string): DB {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // An 8 MB page cache (better-sqlite3's default is 16 MB): the hot pages (recent records, the indexes) fit, the OS
  // caches the rest of the file, and a station's memory settles early in a shift instead of growing with the database.
  db.pragma('cache_size = -8000');
  migrate(db);
  return db;
}

function migrate(db: DB): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`The records database was written by a newer PatchLine (schema ${current}); this version knows ${migrations.length}.`);
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
