// The headless host: the workstation's contract over WebSocket and the built renderer over HTTP, on 127.0.0.1 only,
// behind a token made fresh at every start. The browser gets the token once in the URL the host prints; the host swaps
// it for an HttpOnly, SameSite=Strict cookie and redirects to a clean URL, so the token does not linger in the address
// bar. Host and Origin headers are checked too (no DNS rebinding, no cross-site WebSocket).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../../shared/codec';
import type { ServerMessage } from '../../shared/protocol';
import type { ContractServer } from '../services/server';
import { SECURITY_HEADERS } from './security';
import { readStatic } from './static-files';
import { bearerToken, sameSecret, serveResults } from '../services/outputs/http';
import type { RecordStore } from '../services/records';

export const COOKIE = 'patchline_token';
const LOOPBACK = '127.0.0.1';
/** Events and progress are skipped for a client this far behind; responses are never skipped. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export interface HostOptions {
  server: ContractServer;
  rendererDir: string;
  port?: number;
  token?: string;
  /** Serves the results API (/api/results, /api/results.csv) from these records. */
  records?: RecordStore;
  log?: (message: string) => void;
}

export interface Host {
  url: string;
  /** The URL with the token: what the user opens. */
  openUrl: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const log = opts.log ?? (() => {});
  let port = 0;
  const allowedHosts = () => new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${LOOPBACK}:${port}`, `http://localhost:${port}`]);

  const deny = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text);
  };

  const http = createServer(async (req, res) => {
    try {
      if (!allowedHosts().has(req.headers.host ?? '')) return deny(res, 421, 'Wrong host.');
      if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed.');
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const given = url.searchParams.get('token');
      if (given !== null) {
        if (!sameSecret(given, token)) return deny(res, 401, 'Wrong or expired token. Open the URL the host printed at this start.');
        url.searchParams.delete('token');
        res.writeHead(303, {
          ...SECURITY_HEADERS,
          'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          Location: url.pathname + url.search,
          'Cache-Control': 'no-store',
        });
        return res.end();
      }
      // The browser carries the cookie; an MES or a script polling the results API sends the token as a bearer.
      if (!sameSecret(cookieToken(req) ?? bearerToken(req), token)) {
        return deny(res, 401, 'PatchLine: open the URL printed by `npm run serve` (it carries this start\'s access token).');
      }
      if (opts.records && serveResults(opts.records, req, res, url)) return;
      const file = await readStatic(opts.rendererDir, url.pathname);
      if (!file) return deny(res, 404, 'Not found.');
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': file.type,
        'Content-Length': file.body.byteLength,
        'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    } catch (e) {
      log(`HTTP error: ${(e as Error).message}`);
      if (!res.headersSent) deny(res, 500, 'Internal error.');
      else res.destroy();
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024, perMessageDeflate: false });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (url.pathname !== '/ws') return reject(404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return reject(421, 'Misdirected Request');
    // Browsers always send Origin: it must be this host. Tools without one must present the token themselves.
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return reject(403, 'Forbidden');
    if (!sameSecret(cookieToken(req) ?? url.searchParams.get('token'), token)) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    const peer = opts.server.connect({
      send: (m: ServerMessage) => {
        if (ws.readyState !== ws.OPEN) return;
        if ((m.t === 'evt' || m.t === 'progress') && ws.bufferedAmount > MAX_BUFFERED) return;
        ws.send(encodeFrame(m));
      },
    });
    ws.on('message', (data, isBinary) => {
      let msg: unknown;
      try {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        msg = decodeFrame(isBinary ? buf : buf.toString());
      } catch (e) {
        log(`dropped a malformed frame: ${(e as Error).message}`);
        return;
      }
      peer.receive(msg);
    });
    ws.on('close', () => peer.close());
    ws.on('error', () => peer.close());
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, LOOPBACK, () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  const url = `http://${LOOPBACK}:${port}/`;
  return {
    url,
    openUrl: `${url}?token=${token}`,
    port,
    token,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}
