import { describe, expect, it } from 'vitest';
import { adaptiveAvgPool1d, avgPool3x3, bilinearResize, blockAverage } from './resample';
import { embedImage, embeddingDim } from './embed';
import type { TapOutput } from '../backbone/session';

describe('bilinearResize (align_corners=False)', () => {
  it('matches torch.nn.functional.interpolate on a 1×2 → 1×4 row', () => {
    // torch: F.interpolate(tensor([[[[0., 1.]]]]), size=(1, 4), mode='bilinear') = [0, 0.25, 0.75, 1]
    const out = bilinearResize(Float32Array.from([0, 1]), 1, 1, 2, 1, 4);
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('matches torch on a 2×2 → 3×3 upsample', () => {
    // torch: F.interpolate(tensor([[[[1., 2.], [3., 4.]]]]), size=(3, 3), mode='bilinear')
    //   = [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]] (scale 2/3: src = (o + .5)·2/3 − .5 → 0, .5, 1 after clamping)
    const out = bilinearResize(Float32Array.from([1, 2, 3, 4]), 1, 2, 2, 3, 3);
    expect(Array.from(out)).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });

  it('keeps each channel separate', () => {
    const out = bilinearResize(Float32Array.from([5, 5, 5, 5, 7, 7, 7, 7]), 2, 2, 2, 4, 4);
    expect(out.slice(0, 16).every((v) => v === 5)).toBe(true);
    expect(out.slice(16).every((v) => v === 7)).toBe(true);
  });
});

describe('avgPool3x3 (count_include_pad)', () => {
  it('divides by 9 at borders too', () => {
    const out = avgPool3x3(new Float32Array(9).fill(1), 1, 3, 3);
    expect(Array.from(out).map((v) => v * 9)).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => expect.closeTo(v, 5)));
  });

  it('averages a 3×3 neighbourhood', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const out = avgPool3x3(src, 1, 3, 3);
    expect(out[4]).toBeCloseTo(5, 6);
    expect(out[0]).toBeCloseTo((1 + 2 + 4 + 5) / 9, 6);
  });
});

describe('blockAverage', () => {
  it('averages integer-factor blocks and refuses other factors', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(Array.from(blockAverage(src, 1, 4, 4, 2, 2))).toEqual([3.5, 5.5, 11.5, 13.5]);
    expect(() => blockAverage(src, 1, 4, 4, 3, 3)).toThrow(/integer factor/);
  });
});

describe('adaptiveAvgPool1d', () => {
  it('uses PyTorch bins [floor(i·L/n), ceil((i+1)·L/n))', () => {
    // L=5 → n=3: bins [0,2) [1,4) [3,5)
    const dst = new Float32Array(3);
    adaptiveAvgPool1d(Float32Array.from([1, 2, 3, 4, 5]), 0, 5, dst, 0, 3);
    expect(Array.from(dst)).toEqual([1.5, 3, 4.5]);
  });
});

describe('embedImage', () => {
  const tap = (name: string, stride: number, channels: number, h: number, data: Float32Array): TapOutput => ({
    tap: { name, stride, channels },
    data,
    n: 2,
    channels,
    height: h,
    width: h,
  });

  it('pools, upsamples the coarse map to the fine grid and concatenates finest first', () => {
    // Batch of 2; image 1 has fine channel = 1 everywhere and coarse channel = 3 everywhere.
    const fine = new Float32Array(2 * 1 * 4 * 4);
    fine.fill(1, 16);
    const coarse = new Float32Array(2 * 1 * 2 * 2);
    coarse.fill(3, 4);
    const e = embedImage([tap('f', 8, 1, 4, fine), tap('c', 16, 1, 2, coarse)], 1);
    expect([e.gridH, e.gridW, e.dim]).toEqual([4, 4, 2]);
    // Interior patch (1,1): full 3×3 window of ones → 1; coarse: pooled 2×2 map of 3s is 3·4/9 everywhere.
    const p = 1 * 4 + 1;
    expect(e.data[p * 2]).toBeCloseTo(1, 6);
    expect(e.data[p * 2 + 1]).toBeCloseTo((3 * 4) / 9, 6);
    // Corner patch of the fine map: 4 of 9 cells are inside.
    expect(e.data[0]).toBeCloseTo(4 / 9, 6);
  });

  it('puts a finer tap on a coarser grid when asked', () => {
    const fine = new Float32Array(2 * 1 * 4 * 4).fill(9);
    const mid = new Float32Array(2 * 1 * 2 * 2).fill(1);
    const e = embedImage([tap('s4', 4, 1, 4, fine), tap('s8', 8, 1, 2, mid)], 0, null, 8);
    expect([e.gridH, e.gridW, e.dim]).toEqual([2, 2, 2]);
    // Fine map: 3×3 average of 9s is 9·(inside cells)/9, then 2×2 block means; corner block = (4+6+6+9)/9 · 9 / 4.
    expect(e.data[0]).toBeCloseTo(((4 + 6 + 6 + 9) / 9) * 9 / 4, 5);
    expect(() => embedImage([tap('s4', 4, 1, 4, fine)], 0, null, 16)).toThrow(/no tap has stride 16/);
  });

  it('pools channels to a target dimension', () => {
    const a = new Float32Array(2 * 4 * 2 * 2).fill(2);
    const e = embedImage([tap('a', 8, 4, 2, a)], 0, 2);
    expect(e.dim).toBe(2);
    expect(e.data.length).toBe(4 * 2);
    expect(embeddingDim([32, 96], null)).toBe(128);
    expect(embeddingDim([512, 1024], 1024)).toBe(1024);
  });
});
