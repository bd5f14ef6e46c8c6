import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'node:http';
import { createWorkstation, type Workstation } from '../services/app';
import { createClient } from '../../shared/client';
import { startHost, COOKIE, type Host } from './host';
import { parseServeArgs } from './serve';
import { defaultDataDir } from './paths';
import { datasetImages, fakeEngineModule, tempDir } from '../services/testing/fixtures';
import { nodeWsBridge } from '../services/testing/ws-bridge';

let ws: Workstation;
let host: Host;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(p: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path: p, headers: { Host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cookie = () => `${COOKIE}=${host.token}`;

beforeAll(async () => {
  const renderer = await tempDir('renderer');
  await mkdir(path.join(renderer, 'assets'));
  await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>PatchLine</title>');
  await writeFile(path.join(renderer, 'assets', 'app-abc.js'), 'console.log(1)');
  ws = await createWorkstation({ dataDir: await tempDir('host'), engineModule: fakeEngineModule, log: () => {} });
  host = await startHost({ server: ws.server, rendererDir: renderer, records: ws.records });
});

afterAll(async () => {
  await host.close();
  await ws.close();
});

describe('headless host: HTTP', () => {
  it('listens on 127.0.0.1 and prints a URL carrying the token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(host.openUrl).toBe(`${host.url}?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the results API behind the same token (cookie or bearer), with a BOM on the CSV', async () => {
    expect((await get('/api/results')).status).toBe(401);
    const json = await get('/api/results?after=0', { Authorization: `Bearer ${host.token}` });
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body)).toEqual({ items: [], more: false, next: { after: 0 } });
    const csv = await get('/api/results.csv', { Cookie: cookie() });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body.startsWith('\uFEFFid,time,')).toBe(true);
  });

  it('refuses the renderer without the token', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get('/', { Cookie: `${COOKIE}=nope` })).status).toBe(401);
  });

  it('swaps the token for an HttpOnly SameSite=Strict cookie and a clean URL', async () => {
    const r = await get(`/?token=${host.token}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const set = String(r.headers['set-cookie']);
    expect(set).toContain(`${COOKIE}=${host.token}`);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
  });

  it('serves the renderer with a strict CSP once the cookie is set', async () => {
    const r = await get('/', { Cookie: cookie() });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>PatchLine</title>');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const asset = await get('/assets/app-abc.js', { Cookie: cookie() });
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('never serves a file outside the renderer folder, nor to a foreign Host header', async () => {
    expect((await get('/../../package.json', { Cookie: cookie() })).status).toBe(404);
    expect((await get('/%2e%2e/%2e%2e/package.json', { Cookie: cookie() })).status).toBe(404);
    expect((await get('/', { Cookie: cookie(), Host: 'evil.example:80' })).status).toBe(421);
  });
});

describe('headless host: WebSocket contract', () => {
  it('refuses a socket without the token or from another origin', async () => {
    const wsUrl = `ws://127.0.0.1:${host.port}/ws`;
    await expect(nodeWsBridge(wsUrl)).rejects.toThrow(/401/);
    await expect(nodeWsBridge(wsUrl, { Cookie: cookie(), Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(nodeWsBridge(`${wsUrl}?token=${host.token}`, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('serves the same contract, binary payloads included', async () => {
    const { bridge, socket } = await nodeWsBridge(`ws://127.0.0.1:${host.port}/ws`, { Cookie: cookie(), Origin: host.url.slice(0, -1) });
    const client = createClient(bridge);
    await expect(client.call('app.hello', {})).resolves.toMatchObject({ contractVersion: 1 });
    // No model yet: the part is refused with a typed, readable error, after its bytes crossed the socket intact.
    const [f] = await datasetImages('test/good', 1);
    await expect(client.call('inspect.file', { name: 'p.jpg', bytes: new Uint8Array(await readFile(f)) })).rejects.toMatchObject({
      code: 'NO_MODEL',
    });
    await expect(client.call('inspect.file', { name: 'bad.png', bytes: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({
      code: 'BAD_IMAGE',
    });
    const before = ws.server.connections;
    socket.close();
    for (let i = 0; i < 50 && ws.server.connections === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ws.server.connections).toBe(before - 1); // the session ended with its socket
  });
});

describe('serve CLI options', () => {
  it('parses data dir and port, rejects unknown options', () => {
    expect(parseServeArgs(['--data-dir', '/tmp/x', '--port=8080'], {})).toMatchObject({ dataDir: '/tmp/x', port: 8080 });
    expect(() => parseServeArgs(['--port', '70000'], {})).toThrow(/--port/);
    expect(() => parseServeArgs(['--frobnicate'], {})).toThrow(/Unknown option --frobnicate/);
    expect(parseServeArgs([], { PATCHLINE_DATA_DIR: '/srv/pl' }).dataDir).toBe('/srv/pl');
  });

  it('defaults to the same per-user folder as the Electron app', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/home/u/.config' }, 'linux')).toBe('/home/u/.config/PatchLine');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toContain('PatchLine');
  });
});
