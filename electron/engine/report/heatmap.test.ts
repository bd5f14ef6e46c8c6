import { describe, expect, it } from 'vitest';
import { overlay } from './heatmap';
import { paletteRgb } from '../../../shared/heatmap';

describe('report overlay', () => {
  it('colours the map with the colour-blind-safe palette (viridis by default), blended over the image', () => {
    const map = { width: 3, height: 1, data: new Float32Array([0, 5, 10]) };
    const black = new Uint8Array(9);
    const out = overlay(black, map, { lo: 0, hi: 10, alpha: 1 });
    expect([...out.slice(0, 3)]).toEqual(paletteRgb('viridis', 0));
    expect([...out.slice(6, 9)]).toEqual(paletteRgb('viridis', 1));
    const turbo = overlay(black, map, { lo: 0, hi: 10, alpha: 1, palette: 'turbo' });
    expect([...turbo.slice(6, 9)]).toEqual(paletteRgb('turbo', 1));
    const half = overlay(new Uint8Array(9).fill(200), map, { lo: 0, hi: 10, alpha: 0.5 });
    expect(half[6]).toBe(Math.trunc(200 * 0.5 + paletteRgb('viridis', 1)[0] * 0.5));
  });
});
