// MQTT: each result as JSON, QoS 1, retained (a subscriber that connects later gets the last result at once). The
// queue is the records table itself: a cursor in SQLite says up to which record the broker has acknowledged, so
// results recorded while the broker is away, or while the station was stopped, are sent once it is back, in order.
// Nothing is held in memory beyond a window of messages in flight. QoS 1 is at-least-once: after a reconnect a message
// may arrive twice, which the consumer recognises by its recordId.
//
// Each connection is a fresh client (no automatic reconnect inside mqtt.js): on a drop, what was not acknowledged is
// sent again from the cursor, and the next attempt waits twice as long as the last (100 ms … 30 s).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { connect, type MqttClient } from 'mqtt';
import type { InspectionRecord } from '../../../shared/domain';
import type { MqttSettings, OutputStatus } from '../../../shared/settings';
import type { DB } from '../db';
import type { RecordStore } from '../records';
import { resultPayload } from './payload';

const SINK = 'mqtt';
/** Messages handed to the broker and not yet acknowledged. */
const WINDOW = 64;

export interface MqttOutputOptions {
  /** First reconnect delay; doubles up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  log?: (m: string) => void;
}

export class MqttOutput {
  private client: MqttClient | null = null;
  private settings: MqttSettings | null = null;
  private state: OutputStatus['state'] = 'off';
  private error: string | null = null;
  private backoff: number;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private offCommitted: (() => void) | null = null;
  /** Highest record id handed to the current client, and the ids it has acknowledged beyond the cursor. */
  private handedUpTo = 0;
  private inFlight = 0;
  private readonly acked = new Set<number>();
  private cursor = 0;
  private published = 0;
  private generation = 0;
  private readonly stmts;

  constructor(
    private readonly db: DB,
    private readonly records: RecordStore,
    private readonly opts: MqttOutputOptions = {},
  ) {
    this.backoff = opts.minBackoffMs ?? 100;
    this.stmts = {
      get: db.prepare<[string], { last_id: number }>('SELECT last_id FROM output_cursors WHERE sink = ?'),
      set: db.prepare('INSERT INTO output_cursors (sink, last_id) VALUES (?, ?) ON CONFLICT (sink) DO UPDATE SET last_id = excluded.last_id'),
      forget: db.prepare('DELETE FROM output_cursors WHERE sink = ?'),
      queued: db.prepare<[number, number], { n: number }>('SELECT COUNT(*) AS n FROM inspections WHERE id > ? AND id < ?'),
    };
  }

  status(): OutputStatus & { queued: number; published: number } {
    const queued = this.settings ? this.stmts.queued.get(this.cursor, this.records.committedBelow())!.n : 0;
    return { state: this.state, endpoint: this.settings ? `${this.settings.url} ${this.settings.topic}` : null, error: this.error, queued, published: this.published };
  }

  /** Starts (or restarts with new settings). A broker that cannot be reached is an error in status(), never a throw. */
  start(settings: MqttSettings): void {
    this.stop({ forget: false });
    this.settings = settings;
    const saved = this.stmts.get.get(SINK);
    // Switched on now: from the next result on, not the whole history.
    this.cursor = saved ? saved.last_id : this.records.committedBelow() - 1;
    if (!saved) this.stmts.set.run(SINK, this.cursor);
    try {
      const u = new URL(settings.url);
      if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'].includes(u.protocol)) throw new Error(`unsupported scheme ${u.protocol}`);
    } catch (e) {
      this.state = 'error';
      this.error = `MQTT broker URL "${settings.url}" is not valid: ${(e as Error).message}`;
      this.opts.log?.(this.error);
      return;
    }
    this.offCommitted = this.records.onCommitted(() => this.drain());
    this.connect();
  }

  /** Stops; `forget` (switched off) drops the cursor, so switching on again starts from then, not from now. */
  stop(opts: { forget: boolean } = { forget: false }): void {
    this.generation++;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.offCommitted?.();
    this.offCommitted = null;
    this.client?.end(true);
    this.client = null;
    if (opts.forget) this.stmts.forget.run(SINK);
    if (opts.forget || this.settings) {
      this.state = 'off';
      this.error = null;
    }
    if (opts.forget) this.settings = null;
  }

  /** Waits until every recorded result is acknowledged, or the time is up (for a clean stop and for tests). */
  async flush(timeoutMs: number): Promise<boolean> {
    const t0 = Date.now();
    while (this.status().queued > 0) {
      if (Date.now() - t0 > timeoutMs) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  private connect(): void {
    const s = this.settings!;
    const gen = this.generation;
    this.state = 'starting';
    const client = connect(s.url, {
      clientId: `patchline-${hostname()}-${randomBytes(3).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      will: { topic: `${s.topic}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    this.handedUpTo = this.cursor;
    this.inFlight = 0;
    this.acked.clear();
    client.on('connect', () => {
      if (gen !== this.generation) return;
      this.state = 'running';
      this.error = null;
      this.backoff = this.opts.minBackoffMs ?? 100;
      client.publish(`${s.topic}/status`, 'online', { qos: 1, retain: true });
      this.drain();
    });
    client.on('error', (e) => {
      if (gen !== this.generation) return;
      this.error = `MQTT broker ${s.url}: ${e.message}`;
    });
    client.on('close', () => {
      if (gen !== this.generation) return;
      client.end(true);
      if (this.client === client) this.client = null;
      this.state = 'error';
      this.error ??= `MQTT broker ${s.url}: connection lost`;
      this.opts.log?.(`${this.error}; trying again in ${this.backoff} ms`);
      this.retry = setTimeout(() => {
        this.retry = null;
        if (gen === this.generation) this.connect();
      }, this.backoff);
      this.retry.unref();
      this.backoff = Math.min(this.opts.maxBackoffMs ?? 30_000, this.backoff * 2);
    });
  }

  /** Hands the next committed results to the broker, up to the window. */
  private drain(): void {
    const client = this.client;
    const s = this.settings;
    if (!client?.connected || !s) return;
    while (this.inFlight < WINDOW) {
      const batch = this.records.since({ afterId: this.handedUpTo, limit: WINDOW - this.inFlight });
      if (!batch.length) return;
      for (const r of batch) this.send(client, s, r);
    }
  }

  private send(client: MqttClient, s: MqttSettings, r: InspectionRecord): void {
    const gen = this.generation;
    this.handedUpTo = r.id;
    this.inFlight++;
    client.publish(s.topic, JSON.stringify(resultPayload(r)), { qos: 1, retain: true }, (err) => {
      if (gen !== this.generation || client !== this.client) return;
      this.inFlight--;
      if (err) return; // the connection went; everything after the cursor is sent again on the next one
      this.published++;
      this.acked.add(r.id);
      this.advance();
      this.drain();
    });
  }

  /** Moves the cursor over the acknowledged prefix (gaps in record ids are records lost to a crash, never written). */
  private advance(): void {
    const before = this.cursor;
    const ids = [...this.acked].sort((a, b) => a - b);
    for (const id of ids) {
      if (this.records.since({ afterId: this.cursor, limit: 1 })[0]?.id !== id) break;
      this.cursor = id;
      this.acked.delete(id);
    }
    if (this.cursor !== before) this.stmts.set.run(SINK, this.cursor);
  }
}
