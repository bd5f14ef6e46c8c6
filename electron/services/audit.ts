// The audit table: every engineer action (and every attempt at one), with role and time.
import type { AuditEntry, Role } from '../../shared/domain';
import type { DB } from './db';

export interface AuditInput {
  role: Role;
  action: string;
  target?: string | null;
  ok: boolean;
  details?: Record<string, unknown> | null;
  at?: number;
}

interface Row {
  id: number;
  at: number;
  role: Role;
  action: string;
  target: string | null;
  ok: number;
  details: string | null;
}

export class AuditLog {
  private readonly insert;

  constructor(private readonly db: DB) {
    this.insert = db.prepare('INSERT INTO audit (at, role, action, target, ok, details) VALUES (?, ?, ?, ?, ?, ?)');
  }

  write(e: AuditInput): number {
    const r = this.insert.run(e.at ?? Date.now(), e.role, e.action, e.target ?? null, e.ok ? 1 : 0, e.details ? JSON.stringify(e.details) : null);
    return Number(r.lastInsertRowid);
  }

  list(limit = 100): AuditEntry[] {
    return this.db
      .prepare<[number], Row>('SELECT * FROM audit ORDER BY id DESC LIMIT ?')
      .all(limit)
      .map((r) => ({ ...r, ok: r.ok === 1, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }));
  }
}
