// The engineer PIN: stored only as a scrypt hash, compared in constant time, and throttled after repeated failures.
// The failure count lives in the database so restarting the app does not reset the throttle.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../shared/errors';
import type { AuthStatus, Role } from '../../shared/domain';
import type { DB } from './db';

interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keylen: number;
}

const DEFAULT_PARAMS: ScryptParams = { N: 1 << 15, r: 8, p: 1, keylen: 32 };

/** Free tries before the throttle starts; then 1 s, 2 s, 4 s … up to 5 minutes between tries. */
export const FREE_ATTEMPTS = 3;
export const MAX_LOCK_MS = 5 * 60_000;
/** Engineer rights lapse after this long without an engineer action. */
export const ENGINEER_IDLE_MS = 10 * 60_000;

function hash(pin: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  // Asynchronous: scrypt runs on libuv's pool, so a PIN check never stalls main's thread.
  return new Promise((resolve, reject) =>
    scrypt(pin, salt, p.keylen, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

export function lockMs(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(MAX_LOCK_MS, 1000 * 2 ** (failures - FREE_ATTEMPTS));
}

export class PinStore {
  constructor(
    private readonly db: DB,
    private readonly params: ScryptParams = DEFAULT_PARAMS,
    private readonly now: () => number = Date.now,
  ) {}

  isSet(): boolean {
    return this.db.prepare('SELECT 1 FROM pin WHERE id = 1').get() !== undefined;
  }

  /** Milliseconds until another try is allowed, or 0. */
  retryAfterMs(): number {
    const f = this.db.prepare('SELECT count, last_at FROM pin_failures WHERE id = 1').get() as { count: number; last_at: number } | undefined;
    if (!f) return 0;
    return Math.max(0, f.last_at + lockMs(f.count) - this.now());
  }

  async set(pin: string, { replace = false } = {}): Promise<void> {
    if (!replace && this.isSet()) throw new AppError('CONFLICT', 'An engineer PIN is already set.');
    const salt = randomBytes(16);
    const key = await hash(pin, salt, this.params);
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO pin (id, hash, salt, params, set_at) VALUES (1, ?, ?, ?, ?)')
        .run(key.toString('base64'), salt.toString('base64'), JSON.stringify(this.params), this.now());
      this.db.prepare('DELETE FROM pin_failures').run();
    })();
  }

  /** Resolves if the PIN is right; throws WRONG_PIN or THROTTLED otherwise. */
  async verify(pin: string): Promise<void> {
    const row = this.db.prepare('SELECT hash, salt, params FROM pin WHERE id = 1').get() as
      | { hash: string; salt: string; params: string }
      | undefined;
    if (!row) throw new AppError('CONFLICT', 'No engineer PIN has been set yet.');
    const wait = this.retryAfterMs();
    if (wait > 0) {
      throw new AppError('THROTTLED', `Too many wrong PINs. Try again in ${Math.ceil(wait / 1000)} s.`, { retryAfterMs: wait });
    }
    const expected = Buffer.from(row.hash, 'base64');
    const got = await hash(pin, Buffer.from(row.salt, 'base64'), JSON.parse(row.params) as ScryptParams);
    if (got.length === expected.length && timingSafeEqual(got, expected)) {
      this.db.prepare('DELETE FROM pin_failures').run();
      return;
    }
    this.db
      .prepare(
        `INSERT INTO pin_failures (id, count, last_at) VALUES (1, 1, @now)
         ON CONFLICT (id) DO UPDATE SET count = count + 1, last_at = @now`,
      )
      .run({ now: this.now() });
    const retry = this.retryAfterMs();
    throw new AppError('WRONG_PIN', retry > 0 ? `Wrong PIN. Next try in ${Math.ceil(retry / 1000)} s.` : 'Wrong PIN.', {
      retryAfterMs: retry,
    });
  }
}

/** One per window or WebSocket: every session starts as operator. */
export class Session {
  role: Role = 'operator';
  engineerUntil: number | null = null;
  private readonly listeners = new Set<() => void>();
  private lapse: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** The role in force now (engineer rights lapse when idle). */
  current(): Role {
    if (this.role === 'engineer' && this.engineerUntil !== null && this.now() > this.engineerUntil) this.drop();
    return this.role;
  }

  elevate(): void {
    this.role = 'engineer';
    this.touch();
    this.changed();
  }

  touch(): void {
    if (this.role !== 'engineer') return;
    this.engineerUntil = this.now() + ENGINEER_IDLE_MS;
    if (this.lapse) clearTimeout(this.lapse);
    this.lapse = setTimeout(() => this.current(), ENGINEER_IDLE_MS + 50);
    this.lapse.unref?.();
  }

  drop(): void {
    const was = this.role;
    this.role = 'operator';
    this.engineerUntil = null;
    if (this.lapse) clearTimeout(this.lapse);
    this.lapse = null;
    if (was !== 'operator') this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  dispose(): void {
    if (this.lapse) clearTimeout(this.lapse);
    this.listeners.clear();
  }

  status(pins: PinStore): AuthStatus {
    const role = this.current();
    const retry = pins.retryAfterMs();
    return { pinSet: pins.isSet(), role, engineerUntil: role === 'engineer' ? this.engineerUntil : null, retryAfterMs: retry > 0 ? retry : null };
  }
}
