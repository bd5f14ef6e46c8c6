// The installed app's lookup: cards and the default backbone from resources/ (process.resourcesPath, passed on as
// PATCHLINE_RESOURCES), so an offline PC needs no download on first start. Checked against a fake resources folder
// under a path with spaces and CJK characters.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinCardIds, loadCard, parseCard, type BackboneCard } from './card';
import { candidatePaths, resolveModelFile } from './resolve';
import { backboneCardsDir, packagedResourcesDir, projectRoot } from '../paths';

const bytes = new TextEncoder().encode('a packaged onnx file');
const sha = createHash('sha256').update(bytes).digest('hex');
const saved = { ...process.env };
let root: string;
let resources: string;

function card(): BackboneCard {
  // No URL: a download is impossible, as on an offline line PC.
  return parseCard({ ...loadCard(), id: 'fake', file: 'fake.onnx', sha256: sha, url: null }, 'fake');
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pl-packaged-'));
  resources = path.join(root, '检测 line', 'PatchLine 安装', 'resources');
  mkdirSync(path.join(resources, 'backbones'), { recursive: true });
  mkdirSync(path.join(resources, 'models'), { recursive: true });
  const cards = path.join(projectRoot(), 'assets', 'backbones');
  for (const f of readdirSync(cards)) copyFileSync(path.join(cards, f), path.join(resources, 'backbones', f));
  writeFileSync(path.join(resources, 'models', 'fake.onnx'), bytes);
  process.env.PATCHLINE_SHARED = path.join(root, 'no-shared');
  process.env.XDG_CACHE_HOME = path.join(root, 'cache');
  delete process.env.PATCHLINE_MODELS;
  delete process.env.PATCHLINE_CARDS;
  process.env.PATCHLINE_RESOURCES = resources;
});

afterEach(() => {
  process.env = { ...saved };
});

describe('packaged resources', () => {
  it('are found through PATCHLINE_RESOURCES, and only when they hold the cards', () => {
    expect(packagedResourcesDir()).toBe(resources);
    process.env.PATCHLINE_RESOURCES = path.join(root, 'empty');
    mkdirSync(process.env.PATCHLINE_RESOURCES);
    expect(packagedResourcesDir()).toBe(null); // e.g. Electron's own resources/ in a checkout run
  });

  it('the cards come from resources/backbones (PATCHLINE_CARDS still wins)', () => {
    expect(backboneCardsDir()).toBe(path.join(resources, 'backbones'));
    expect(builtinCardIds()).toContain('mobilenetv2-int8');
    expect(loadCard().id).toBe('mobilenetv2-int8');
    process.env.PATCHLINE_CARDS = path.join(root, 'mine');
    expect(backboneCardsDir()).toBe(path.join(root, 'mine'));
  });

  it('the lookup order is explicit, PATCHLINE_MODELS, ../shared, packaged, then the user cache', () => {
    process.env.PATCHLINE_MODELS = path.join(root, 'env');
    expect(candidatePaths(card(), path.join(root, 'x.onnx')).map((c) => c.source)).toEqual(['explicit', 'env', 'shared', 'packaged', 'cache']);
    expect(candidatePaths(card()).find((c) => c.source === 'packaged')?.path).toBe(path.join(resources, 'models', 'fake.onnx'));
  });

  it('an offline first start scores with the packaged backbone, checked against its sha256', async () => {
    await expect(resolveModelFile(card())).resolves.toEqual({ path: path.join(resources, 'models', 'fake.onnx'), sha256: sha, source: 'packaged' });
    writeFileSync(path.join(resources, 'models', 'fake.onnx'), 'damaged');
    await expect(resolveModelFile(card())).rejects.toThrow(/PatchLine 安装.*has sha256 [0-9a-f]{64}, but fake expects/);
  });

  it('a development copy in ../shared comes first', async () => {
    const shared = path.join(root, 'shared 目录');
    mkdirSync(path.join(shared, 'models'), { recursive: true });
    writeFileSync(path.join(shared, 'models', 'fake.onnx'), bytes);
    process.env.PATCHLINE_SHARED = shared;
    expect((await resolveModelFile(card())).source).toBe('shared');
  });

  it('the backbone cache under a user folder with spaces and CJK characters', async () => {
    process.env.XDG_CACHE_HOME = path.join(root, '用户 缓存');
    delete process.env.PATCHLINE_RESOURCES;
    const cached = candidatePaths(card()).find((c) => c.source === 'cache')!.path;
    expect(cached).toBe(path.join(root, '用户 缓存', 'patchline', 'models', 'fake.onnx'));
    mkdirSync(path.dirname(cached), { recursive: true });
    writeFileSync(cached, bytes);
    await expect(resolveModelFile(card())).resolves.toMatchObject({ path: cached, source: 'cache' });
  });
});
