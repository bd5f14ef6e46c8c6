// The HTTP results API, for an MES or a spreadsheet: GET /api/results (JSON) and /api/results.csv (UTF-8 with a BOM,
// so Excel on a zh-CN Windows opens it as UTF-8, not GBK). Served by the headless host behind its token, and by
// `patchline watch --http PORT` behind the station's token (Authorization: Bearer TOKEN, or ?token=).
//
//   ?after=ID     records after this id (the cursor a poller keeps: `next.after` of the last answer)
//   ?since=T      at or after this time (ISO 8601, or epoch ms); ?until=T before it
//   ?limit=N      at most N records (1–5000, default 1000), oldest first
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { RecordStore } from '../services/records';
import { resultPayload } from '../services/outputs/payload';
import { SECURITY_HEADERS } from './security';

export const BOM = '\uFEFF';
const MAX_LIMIT = 5000;

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
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
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

/** `watch --http`: the results API alone, behind a token (an MES has no browser session to carry a cookie). */
export async function startResultsServer(opts: { records: RecordStore; port: number; host?: string; token?: string; log?: (m: string) => void }): Promise<ResultsServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const http = createServer((req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://station');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.');
      if (!sameSecret(bearerToken(req) ?? url.searchParams.get('token'), token)) {
        return send(res, 401, 'text/plain; charset=utf-8', 'PatchLine station: send the token (Authorization: Bearer TOKEN) that `patchline watch` printed.', {
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
