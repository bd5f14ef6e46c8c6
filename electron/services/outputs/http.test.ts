// The results API as the station serves it (Settings → HTTP in the app, `patchline watch --http`): token required, JSON with a cursor for pollers, CSV with a
// UTF-8 BOM (Chinese part names survive Excel on zh-CN Windows), committed records only, clear errors on bad queries.
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { openDatabase, type DB } from '../db';
import { RecordStore, type NewInspection } from '../records';
import { tempDir } from '../testing/fixtures';
import { readFile } from 'node:fs/promises';
import { HttpOutput, startResultsServer, tokenFile, type ResultsServer } from './http';

let db: DB | null = null;
let server: ResultsServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  db?.close();
  db = null;
});

const T0 = Date.UTC(2025, 2, 3, 8, 0, 0);

function part(i: number, name: string): NewInspection {
  return {
    at: T0 + i * 60_000,
    source: 'hotfolder',
    sourceName: name,
    modelId: 'tile',
    score: i,
    normalizedScore: i / 4,
    threshold: 4,
    verdict: i >= 4 ? 'NG' : 'OK',
    latencyMs: 10 + i,
    image: { kind: 'raw', image: { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 } },
    heatmap: new Uint8Array(16),
    heatmapWidth: 4,
    heatmapHeight: 4,
  };
}

async function setup() {
  const dir = await tempDir('api');
  db = openDatabase(path.join(dir, 'patchline.db'));
  const records = new RecordStore(db, dir);
  for (let i = 1; i <= 5; i++) await records.save(part(i, i === 3 ? '检测 零件 3.png' : `part ${i}.png`));
  server = await startResultsServer({ records, port: 0, token: 'secret-token-123' });
  return { records, dir };
}

const auth = { Authorization: 'Bearer secret-token-123' };

interface Page {
  items: { recordId: number; part: string; verdict: string }[];
  more: boolean;
  next: { after: number };
}
const page = async (url: string): Promise<Page> => (await (await fetch(url, { headers: auth })).json()) as Page;

describe('results API', () => {
  it('needs the token', async () => {
    await setup();
    expect((await fetch(server!.url)).status).toBe(401);
    expect((await fetch(server!.url, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${server!.url}?token=secret-token-123`)).status).toBe(200);
  });

  it('pages through results with a cursor and filters by time', async () => {
    await setup();
    const first = await page(`${server!.url}?limit=2`);
    expect(first.items.map((p) => p.recordId)).toEqual([1, 2]);
    expect(first).toMatchObject({ more: true, next: { after: 2 } });
    expect(first.items[0]).toMatchObject({ part: 'part 1.png', verdict: 'OK', score: 1, threshold: 4, modelId: 'tile', at: '2025-03-03T08:01:00.000Z' });
    const rest = await page(`${server!.url}?after=${first.next.after}`);
    expect(rest.items.map((p) => p.part)).toEqual(['检测 零件 3.png', 'part 4.png', 'part 5.png']);
    expect(rest.more).toBe(false);
    const since = await page(`${server!.url}?since=2025-03-03T08:04:00Z`);
    expect(since.items.map((p) => p.recordId)).toEqual([4, 5]);
    const byMs = await page(`${server!.url}?since=${T0 + 4 * 60_000}&until=${T0 + 5 * 60_000}`);
    expect(byMs.items.map((p) => p.verdict)).toEqual(['NG']);
  });

  it('serves CSV as UTF-8 with a BOM, so Chinese part names open correctly in Excel', async () => {
    await setup();
    const res = await fetch(`${server!.url.replace('/api/results', '/api/results.csv')}?after=2`, { headers: auth });
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('x-next-after')).toBe('5');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes.slice(3)).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,time,source,source_name,/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^3,2025-03-03T08:03:00.000Z,hotfolder,检测 零件 3.png,tile,3,/);
  });

  it('answers a bad query with a message naming the parameter', async () => {
    await setup();
    const res = await fetch(`${server!.url}?since=yesterday`, { headers: auth });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/since must be an ISO 8601 time/);
    expect((await fetch(`${server!.url}?limit=0`, { headers: auth })).status).toBe(400);
  });

  it('names a port it cannot open', async () => {
    const { records } = await setup();
    await expect(startResultsServer({ records, port: server!.port })).rejects.toThrow(`HTTP port ${server!.port} cannot be opened: it is in use`);
  });
});

describe('HTTP output (the station setting http.enabled)', () => {
  it('starts on its settings with the token kept in the data folder, moves port, stops', async () => {
    const { records, dir } = await setup();
    const out = new HttpOutput(records, dir);
    expect(out.status()).toEqual({ state: 'off', endpoint: null, error: null });
    await out.start({ enabled: true, port: 0, host: '127.0.0.1' });
    const st = out.status();
    expect(st.state).toBe('running');
    const token = (await readFile(tokenFile(dir), 'utf8')).trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(await out.token()).toBe(token);
    expect((await fetch(st.endpoint!)).status).toBe(401);
    const res = await fetch(st.endpoint!, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Page).items).toHaveLength(5);
    await out.stop();
    expect(out.status().state).toBe('off');
    await expect(fetch(st.endpoint!)).rejects.toThrow();
  });

  it('reports a port in use as an error and does not throw', async () => {
    const { records, dir } = await setup();
    const out = new HttpOutput(records, dir);
    await out.start({ enabled: true, port: server!.port, host: '127.0.0.1' });
    expect(out.status()).toMatchObject({ state: 'error', endpoint: null, error: expect.stringContaining(`HTTP port ${server!.port} cannot be opened`) });
    await out.stop();
  });
});
