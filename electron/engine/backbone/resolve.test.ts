import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCard, parseCard, type BackboneCard } from './card';
import { candidatePaths, modelsCacheDir, resolveModelFile } from './resolve';

const bytes = new TextEncoder().encode('pretend this is an onnx file');
const sha = createHash('sha256').update(bytes).digest('hex');
let root: string;
let server: Server;
let base: string;
let served: Uint8Array = bytes;

function card(extra: Partial<BackboneCard> = {}): BackboneCard {
  return parseCard({ ...loadCard(), id: 'fake', file: 'fake.onnx', sha256: sha, url: `${base}/fake.onnx`, ...extra }, 'fake');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/fake.onnx') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': served.length }).end(Buffer.from(served));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pl-resolve-'));
  process.env.PATCHLINE_SHARED = path.join(root, 'shared');
  process.env.XDG_CACHE_HOME = path.join(root, 'cache');
  delete process.env.PATCHLINE_MODELS;
  served = bytes;
});

describe('resolveModelFile', () => {
  it('searches explicit path, PATCHLINE_MODELS, ../shared/models, then the user cache, in that order', () => {
    process.env.PATCHLINE_MODELS = path.join(root, 'env');
    const c = candidatePaths(card(), path.join(root, 'x.onnx'));
    expect(c.map((x) => x.source)).toEqual(['explicit', 'env', 'shared', 'cache']);
    expect(c[1].path).toBe(path.join(root, 'env', 'fake.onnx'));
    expect(c[2].path).toBe(path.join(root, 'shared', 'models', 'fake.onnx'));
    expect(c[3].path.startsWith(path.join(root, 'cache'))).toBe(true);
  });

  it('uses PATCHLINE_MODELS before ../shared and checks the sha256', async () => {
    for (const d of ['env', 'shared/models']) {
      mkdirSync(path.join(root, d), { recursive: true });
      writeFileSync(path.join(root, d, 'fake.onnx'), bytes);
    }
    process.env.PATCHLINE_MODELS = path.join(root, 'env');
    const r = await resolveModelFile(card());
    expect(r).toEqual({ path: path.join(root, 'env', 'fake.onnx'), sha256: sha, source: 'env' });
  });

  it('refuses a file whose sha256 does not match, naming it', async () => {
    mkdirSync(path.join(root, 'shared', 'models'), { recursive: true });
    const bad = path.join(root, 'shared', 'models', 'fake.onnx');
    writeFileSync(bad, 'tampered');
    await expect(resolveModelFile(card())).rejects.toThrow(new RegExp(`${bad.replace(/[.]/g, '\\.')} has sha256 [0-9a-f]{64}, but fake expects ${sha}`));
  });

  it('downloads into the cache through a verified temp file', async () => {
    const r = await resolveModelFile(card());
    expect(r.source).toBe('download');
    expect(r.path).toBe(path.join(modelsCacheDir(), 'fake.onnx'));
    expect(readdirSync(modelsCacheDir())).toEqual(['fake.onnx']);
    // Second call finds it in the cache.
    expect((await resolveModelFile(card())).source).toBe('cache');
  });

  it('refuses and deletes a download with the wrong sha256', async () => {
    served = new TextEncoder().encode('a man in the middle');
    await expect(resolveModelFile(card())).rejects.toThrow(/sha256 .* expected .*refused and deleted/);
    expect(existsSync(modelsCacheDir()) ? readdirSync(modelsCacheDir()) : []).toEqual([]);
  });

  it('says where it looked when a file is nowhere and cannot be downloaded', async () => {
    await expect(resolveModelFile(card({ url: null }))).rejects.toThrow(/needs fake\.onnx, which is in none of:[\s\S]*PATCHLINE_MODELS/);
    await expect(resolveModelFile(card(), { download: false })).rejects.toThrow(/Downloading is switched off/);
    await expect(resolveModelFile(card({ url: `${base}/missing.onnx` }))).rejects.toThrow(/HTTP 404/);
    await expect(resolveModelFile(card(), { explicitPath: path.join(root, 'nope.onnx') })).rejects.toThrow(/nope\.onnx does not exist/);
  });

  it('accepts any file for a card without a sha256 but reports the sha it found, and honours a pinned sha', async () => {
    mkdirSync(path.join(root, 'shared', 'models'), { recursive: true });
    writeFileSync(path.join(root, 'shared', 'models', 'fake.onnx'), 'user export');
    const r = await resolveModelFile(card({ sha256: null, url: null }));
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(resolveModelFile(card({ sha256: null, url: null }), { expectedSha256: sha })).rejects.toThrow(/but fake expects/);
  });
});
