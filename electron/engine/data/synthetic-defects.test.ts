import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { rng } from '../random';
import { tempDir } from '../testing/fixtures';
import { addSyntheticDefect, isGrey, SYNTHETIC_DEFECT_KINDS, writeHeldOutSet, writeRgbPng, type RgbImage } from './synthetic-defects';

function plate(seed: number, width = 120, height = 90, grey = false): RgbImage {
  const rand = rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = 110 + Math.floor(rand() * 20);
    data.set(grey ? [v, v, v] : [v, v + 10, v + 25], i * 3);
  }
  return { data, width, height };
}

describe('addSyntheticDefect', () => {
  for (const kind of SYNTHETIC_DEFECT_KINDS) {
    it(`${kind}: changes pixels only inside its mask, is seeded, and stays grey on a grey image`, () => {
      const img = plate(1, 120, 90, true);
      const donor = plate(2, 100, 100, true);
      // A donor that differs from the image everywhere, so a pasted patch changes every pixel it covers.
      donor.data.forEach((v, i) => (donor.data[i] = 255 - v));
      const a = addSyntheticDefect(img, kind, 42, donor);
      const b = addSyntheticDefect(img, kind, 42, donor);
      const c = addSyntheticDefect(img, kind, 43, donor);
      expect(a.image.data).toEqual(b.image.data);
      expect(a.mask).toEqual(b.mask);
      expect(a.mask).not.toEqual(c.mask);
      const marked = a.mask.reduce((n, m) => n + m, 0);
      expect(marked).toBeGreaterThan(0);
      expect(marked).toBeLessThan(0.2 * img.width * img.height);
      let changedInside = 0;
      let changedOutside = 0;
      for (let i = 0; i < a.mask.length; i++) {
        const changed = [0, 1, 2].some((ch) => a.image.data[i * 3 + ch] !== img.data[i * 3 + ch]);
        if (changed && a.mask[i]) changedInside++;
        else if (changed) changedOutside++;
      }
      expect(changedOutside).toBe(0);
      expect(changedInside / marked).toBeGreaterThan(0.5);
      expect(isGrey(a.image)).toBe(true);
      // The input is not modified.
      expect(img.data).toEqual(plate(1, 120, 90, true).data);
    });
  }

  it('a pasted patch needs a donor', () => {
    expect(() => addSyntheticDefect(plate(1), 'paste', 1)).toThrow(/donor/);
  });

  it('shifts colour on colour images', () => {
    const img = plate(3);
    const seeds = Array.from({ length: 6 }, (_, i) => i);
    expect(seeds.some((s) => !isGrey(addSyntheticDefect(img, 'texture', s).image) && !isGrey(img))).toBe(true);
  });
});

describe('writeHeldOutSet', () => {
  it('writes each good image and its defective copies with masks at the image size, kinds taking turns', async () => {
    const dir = tempDir();
    const files: string[] = [];
    for (let i = 0; i < 4; i++) {
      const f = path.join(dir, `g${i}.png`);
      await writeRgbPng(f, plate(10 + i, 80 + i * 8, 64));
      files.push(f);
    }
    const set = await writeHeldOutSet(files.slice(0, 2), files.slice(2), path.join(dir, 'held'), { seed: 5, perImage: 3 });
    expect(set.map((h) => h.kind)).toEqual(['good', 'paste', 'texture', 'scratch', 'good', 'blob', 'paste', 'texture']);
    expect(set.filter((h) => h.label === 1).every((h) => h.mask !== null)).toBe(true);
    const m = await sharp(set[1].mask!).raw().toBuffer({ resolveWithObject: true });
    expect([m.info.width, m.info.height]).toEqual([80, 64]);
    expect(Math.max(...m.data)).toBe(255);
    // Re-encoded good image: the same pixels as the original.
    const orig = await sharp(files[0]).raw().toBuffer();
    expect(await sharp(set[0].path).raw().toBuffer()).toEqual(orig);
    const again = await writeHeldOutSet(files.slice(0, 2), files.slice(2), path.join(dir, 'again'), { seed: 5, perImage: 3 });
    expect(readFileSync(again[3].path)).toEqual(readFileSync(set[3].path));
  });
});
