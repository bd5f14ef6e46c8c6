// The HTTP results API, for an MES or a spreadsheet: GET /api/results (JSON) and /api/results.csv (UTF-8 with a BOM,
// so Excel on a zh-CN Windows opens it as UTF-8, not GBK). A line output like MQTT or Modbus: the station runs it when
// the setting http.enabled is on (the app's Settings screen, `patchline watch --http PORT`), behind the station's
// token (Authorization: Bearer TOKEN, or ?token=). The headless host also answers it behind its own token.
//
//   ?after=ID     records after this id (the cursor a poller keeps: `next.after` of the last answer)
//   ?since=T      at or after this time (ISO 8601, or epoch ms); ?until=T before it
//   ?limit=N      at most N records (1–5000, default 1000), oldest first
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { HttpSettings, OutputStatus } from '../../../shared/settings';
import { writeFileAtomic } from '../../engine/atomic-file';
import type { RecordStore } from '../records';
import { resultPayload } from './payload';

export const BOM = '\uFEFF';
const MAX_LIMIT = 5000;
/** Data, never a page: nothing in an answer may run, frame or be sniffed as something else. */
const API_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

class QueryError extends Error {}

function time(name: string, v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new QueryError(`${name} must be an ISO 8601 time or epoch milliseconds, got "${v}"`);
  return ms;
}

function int(name: string, v: string | null, min: number, max: number): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new QueryError(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

function query(url: URL) {
  const p = url.searchParams;
  return {
    afterId: int('after', p.get('after'), 0, Number.MAX_SAFE_INTEGER),
    from: time('since', p.get('since')),
    to: time('until', p.get('until')),
    limit: int('limit', p.get('limit'), 1, MAX_LIMIT) ?? 1000,
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...API_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

/** Answers /api/results and /api/results.csv; false for any other path (the caller's). Auth is the caller's. */
export function serveResults(records: RecordStore, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (url.pathname !== '/api/results' && url.pathname !== '/api/results.csv') return false;
  let q;
  try {
    q = query(url);
  } catch (e) {
    send(res, 400, 'application/json; charset=utf-8', JSON.stringify({ error: (e as Error).message }));
    return true;
  }
  if (url.pathname === '/api/results.csv') {
    const { csv, lastId } = records.exportCsvSince(q);
    send(res, 200, 'text/csv; charset=utf-8', BOM + csv, {
      'Content-Disposition': 'attachment; filename="patchline-results.csv"',
      ...(lastId !== null ? { 'X-Next-After': String(lastId) } : {}),
    });
    return true;
  }
  const items = records.since({ ...q, limit: q.limit + 1 });
  const more = items.length > q.limit;
  const page = items.slice(0, q.limit).map(resultPayload);
  const after = page.length ? page[page.length - 1].recordId : (q.afterId ?? 0);
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ items: page, more, next: { after } }));
  return true;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

export function sameSecret(a: string | undefined | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface ResultsServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** The results API alone, behind a token (an MES has no browser session to carry a cookie). */
export async function startResultsServer(opts: { records: RecordStore; port: number; host?: string; token?: string; log?: (m: string) => void }): Promise<ResultsServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const http = createServer((req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://station');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.');
      if (!sameSecret(bearerToken(req) ?? url.searchParams.get('token'), token)) {
        return send(res, 401, 'text/plain; charset=utf-8', 'PatchLine station: send the station token (Authorization: Bearer TOKEN): the file http-token in its data folder, or Settings → HTTP in the app.', {
          'WWW-Authenticate': 'Bearer',
        });
      }
      if (!serveResults(opts.records, req, res, url)) send(res, 404, 'text/plain; charset=utf-8', 'Not found: /api/results or /api/results.csv.');
    } catch (e) {
      opts.log?.(`HTTP error: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error.');
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `HTTP port ${opts.port} cannot be opened: it is in use by another program.` : `HTTP port ${opts.port} cannot be opened: ${e.message}`)),
    );
    http.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = http.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/api/results`,
    port,
    token,
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}

/** The station's token: PATCHLINE_HTTP_TOKEN, else one kept in the data folder (stable across restarts, for the MES). */
export async function stationToken(dataDir: string): Promise<string> {
  if (process.env.PATCHLINE_HTTP_TOKEN) return process.env.PATCHLINE_HTTP_TOKEN;
  const file = tokenFile(dataDir);
  const saved = await readFile(file, 'utf8').catch(() => '');
  if (saved.trim()) return saved.trim();
  const token = randomBytes(24).toString('base64url');
  await writeFileAtomic(file, `${token}\n`);
  await chmod(file, 0o600).catch(() => undefined);
  return token;
}

export const tokenFile = (dataDir: string) => path.join(dataDir, 'http-token');

/** The results API as a line output: started, restarted and stopped by the station's settings, errors in status(). */
export class HttpOutput {
  private server: ResultsServer | null = null;
  private state: OutputStatus['state'] = 'off';
  private error: string | null = null;
  private generation = 0;

  constructor(
    private readonly records: RecordStore,
    private readonly dataDir: string,
    private readonly log: (m: string) => void = () => undefined,
  ) {}

  status(): OutputStatus {
    return { state: this.state, endpoint: this.server?.url ?? null, error: this.error };
  }

  /** The token an MES sends; engineers read it from the Settings screen. */
  token(): Promise<string> {
    return stationToken(this.dataDir);
  }

  /** Starts (or restarts on another port or address). A port that cannot be opened is an error in status(), never a throw. */
  async start(settings: HttpSettings): Promise<void> {
    await this.stop();
    const gen = ++this.generation;
    this.state = 'starting';
    try {
      const server = await startResultsServer({ records: this.records, port: settings.port, host: settings.host, token: await this.token(), log: this.log });
      if (gen !== this.generation) return void (await server.close());
      this.server = server;
      this.state = 'running';
      this.log(`HTTP results API: ${server.url}`);
    } catch (e) {
      if (gen !== this.generation) return;
      this.state = 'error';
      this.error = (e as Error).message;
      this.log(this.error);
    }
  }

  async stop(): Promise<void> {
    this.generation++;
    const s = this.server;
    this.server = null;
    this.state = 'off';
    this.error = null;
    await s?.close();
  }
}
