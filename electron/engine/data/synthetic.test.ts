import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openFitSource, openTestSet } from './dataset';
import { generateSynthetic } from './synthetic';

const small = { train: 3, testGood: 2, perDefect: 2, size: 96 };

describe('generateSynthetic', () => {
  it('writes an MVTec-layout dataset whose defects have non-empty masks', async () => {
    const dir = await generateSynthetic(path.join(mkdtempSync(path.join(tmpdir(), 'pl-syn-')), 'data'), small);
    expect(openFitSource(dir).train).toHaveLength(3);
    const t = openTestSet(dir);
    expect(t.defects).toEqual(['crack', 'hole', 'scratch', 'stain']);
    expect(t.images.filter((i) => i.label === 1)).toHaveLength(8);
    for (const img of t.images.filter((i) => i.mask)) {
      const { data } = await sharp(img.mask!).raw().toBuffer({ resolveWithObject: true });
      expect(data.some((v) => v > 0)).toBe(true);
    }
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const hash = async (seed: number) => {
      const dir = await generateSynthetic(path.join(mkdtempSync(path.join(tmpdir(), 'pl-syn-')), 'data'), { ...small, seed });
      return createHash('sha256')
        .update(readFileSync(path.join(dir, 'test', 'crack', '001.png')))
        .update(readFileSync(path.join(dir, 'train', 'good', '002.png')))
        .digest('hex');
    };
    const a = await hash(1);
    expect(await hash(1)).toBe(a);
    expect(await hash(2)).not.toBe(a);
  });
});
