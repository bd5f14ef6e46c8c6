import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fit } from '../model/fit';
import { loadModel } from '../model/model';
import { rng } from '../random';
import { tempDir, tinyBackbone } from '../testing/fixtures';
import { geometryFor } from '../image/preprocess';
import { parseTiling, stitchMaps, stitchedSize, tilesFor } from './tiling';

describe('tiles', () => {
  it('cover the image: a grid, with and without overlap, and tiles of a size', () => {
    expect(tilesFor(1024, 1024, parseTiling('2x2'))).toEqual([
      { x: 0, y: 0, width: 512, height: 512 },
      { x: 512, y: 0, width: 512, height: 512 },
      { x: 0, y: 512, width: 512, height: 512 },
      { x: 512, y: 512, width: 512, height: 512 },
    ]);
    const o = tilesFor(1024, 600, parseTiling('2x1', 64));
    expect(o).toEqual([
      { x: 0, y: 0, width: 544, height: 600 },
      { x: 480, y: 0, width: 544, height: 600 },
    ]);
    const s = tilesFor(1024, 700, parseTiling('512', 64));
    // ceil((1024 − 64) / 448) = 3 columns, ceil((700 − 64) / 448) = 2 rows, spread to end at the image's edges.
    expect(s.map((t) => [t.x, t.y])).toEqual([
      [0, 0],
      [256, 0],
      [512, 0],
      [0, 188],
      [256, 188],
      [512, 188],
    ]);
  });

  it('refuses a tiling that does not fit, naming the tile size and the image size', () => {
    expect(() => tilesFor(400, 300, parseTiling('512'))).toThrow(/tile size 512×512 px does not fit the 400×300 image/);
    expect(() => tilesFor(20, 300, parseTiling('4x1'))).toThrow(/does not fit the 20×300 image: tiles would be 5×300 px/);
    expect(() => tilesFor(1024, 1024, parseTiling('2x2', 1100))).toThrow(/does not fit the 1024×1024 image/);
    expect(() => parseTiling('512', 512)).toThrow(/overlap \(512\) must be smaller than the tile size \(512\)/);
    expect(() => parseTiling('two')).toThrow(/COLSxROWS/);
  });

  it('stitch tile maps into one map of the whole image, the maximum where tiles overlap', () => {
    const img = { width: 200, height: 100 };
    const t = parseTiling('2x1', 40);
    const tiles = tilesFor(img.width, img.height, t);
    expect(tiles.map((x) => [x.x, x.width])).toEqual([
      [0, 120],
      [80, 120],
    ]);
    const parts = tiles.map((tile, i) => {
      const g = geometryFor(tile.width, tile.height, { size: 32, resize: 32, resizeMode: 'stretch' });
      return { tile, geometry: g, map: { width: 32, height: 32, data: new Float32Array(32 * 32).fill(i + 1) } };
    });
    const out = stitchedSize(img.width, img.height, tiles[0], 32);
    expect(out).toMatchObject({ width: 53, height: 27 });
    const m = stitchMaps(parts, img, out);
    const at = (x: number) => m.data[10 * m.width + Math.floor((x * m.width) / img.width)];
    expect(at(20)).toBe(1);
    expect(at(100)).toBe(2); // both tiles: the larger
    expect(at(190)).toBe(2);
    expect(m.data.every((v) => v === 1 || v === 2)).toBe(true);
  });
});

/**
 * A smooth texture: the same three long-wave sinusoids on every part, shifted by random phases (parts of one kind,
 * placed differently), with per-pixel noise; 8-bit grey as RGB. Optionally a dark square spot.
 */
function texture(side: number, seed: number, defect?: { x: number; y: number; size: number }): Uint8Array {
  const r = rng(seed);
  const waves = [
    { fx: 1 / 170, fy: 1 / 410, a: 10 },
    { fx: -1 / 290, fy: 1 / 230, a: 8 },
    { fx: 1 / 530, fy: 1 / 610, a: 6 },
  ].map((w) => ({ ...w, p: r() * 6.28 }));
  const out = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let v = 128 + (r() - 0.5) * 16;
      for (const w of waves) v += w.a * Math.sin((x * w.fx + y * w.fy) * 6.283 + w.p);
      if (defect && x >= defect.x && x < defect.x + defect.size && y >= defect.y && y < defect.y + defect.size) v -= 100;
      out.fill(Math.max(0, Math.min(255, Math.round(v))), (y * side + x) * 3, (y * side + x) * 3 + 3);
    }
  }
  return out;
}

describe('a tiled model on a high-resolution part', () => {
  const side = 1024;
  let card: string;
  let train: string;
  const good: string[] = [];
  const bad: string[] = [];

  beforeAll(async () => {
    card = tinyBackbone(256);
    const root = tempDir('pl-tiles-');
    train = path.join(root, 'train');
    mkdirSync(train);
    const png = (file: string, px: Uint8Array) => sharp(px, { raw: { width: side, height: side, channels: 3 } }).png().toFile(file);
    await Promise.all(Array.from({ length: 6 }, (_, i) => png(path.join(train, `good_${i}.png`), texture(side, 100 + i))));
    for (let i = 0; i < 4; i++) {
      good.push(path.join(root, `test_good_${i}.png`));
      bad.push(path.join(root, `test_bad_${i}.png`));
      await png(good[i], texture(side, 200 + i));
      // A 16 px dark spot somewhere on the part (away from the border, where both models see it).
      await png(bad[i], texture(side, 300 + i, { x: 200 + 170 * i, y: 300 + 90 * i, size: 16 }));
    }
  }, 120_000);

  async function scores(extra: Record<string, unknown>): Promise<{ good: number[]; bad: number[]; map: { width: number; height: number } }> {
    const out = path.join(tempDir(), 'model');
    await fit({ data: train, out, backbone: card, coreset: { method: 'approx-greedy', ratio: 0.1 }, seed: 1, ...extra });
    const model = await loadModel(out);
    try {
      const g = [];
      const b = [];
      for (const f of good) g.push((await model.predictFile(f)).score);
      let map = { width: 0, height: 0 };
      for (const f of bad) {
        const p = await model.predictFile(f);
        b.push(p.score);
        map = { width: p.map.width, height: p.map.height };
      }
      return { good: g, bad: b, map };
    } finally {
      await model.close();
    }
  }

  it('finds a defect of a few pixels that the untiled model misses', async () => {
    const whole = await scores({});
    const tiled = await scores({ tile: parseTiling('4x4', 32) });
    const margin = (s: { good: number[]; bad: number[] }) => Math.min(...s.bad) / Math.max(...s.good);
    console.log(`untiled good ${whole.good.map((v) => v.toFixed(3))} bad ${whole.bad.map((v) => v.toFixed(3))}; tiled good ${tiled.good.map((v) => v.toFixed(3))} bad ${tiled.bad.map((v) => v.toFixed(3))}`);
    // Tiled: every defective part scores clearly above every good one.
    expect(margin(tiled)).toBeGreaterThan(3);
    // Untiled: the 16 px spot is 4 px in the 256 px input, diluted in its 8 px cell; good parts' own texture reaches as high.
    expect(margin(whole)).toBeLessThan(1);
    // The tiled map covers the whole image at the tiles' resolution: tiles of 280 px seen at 256 px.
    expect(tiled.map).toEqual({ width: Math.round((1024 * 256) / 280), height: Math.round((1024 * 256) / 280) });
  }, 300_000);

  it('records the tiling in the model and refuses images it does not fit', async () => {
    const out = path.join(tempDir(), 'model');
    const r = await fit({ data: train, out, backbone: card, coreset: { method: 'random', ratio: 0.1 }, tile: parseTiling('2x2') });
    expect(r.manifest.params.tiling).toEqual({ kind: 'grid', cols: 2, rows: 2, overlap: 0 });
    expect(r.manifest.training).toMatchObject({ images: 6, patches: 6 * 4 * 32 * 32 });
    expect((r.manifest.params.sources as Record<string, { source: string }>).tiling.source).toBe('user option');
    const small = path.join(tempDir(), 'small.png');
    await sharp(texture(20, 1), { raw: { width: 20, height: 20, channels: 3 } }).png().toFile(small);
    const model = await loadModel(out);
    try {
      expect((await model.predictFile(good[0])).crop).toEqual({ left: 0, top: 0, width: side, height: side, imageWidth: side, imageHeight: side });
      await expect(model.predictFile(small)).rejects.toThrow(/does not fit the 20×20 image/);
      // Confirmed-good parts go in per tile and count as the images they are.
      const v = await model.addGood([good[0], good[1]]);
      expect(v).toMatchObject({ addedImages: 2, addedVectors: Math.round(2 * 4 * 32 * 32 * 0.1) });
    } finally {
      await model.close();
    }
    const big = path.join(tempDir(), 'model-big');
    await expect(fit({ data: train, out: big, backbone: card, tile: parseTiling('2048'), strict: true })).rejects.toThrow(/tile size 2048×2048 px does not fit the 1024×1024 image/);
  }, 300_000);
});
