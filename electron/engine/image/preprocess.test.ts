import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeBmp, encodeBmp24 } from './bmp';
import { mapToOriginal } from '../score/anomaly-map';
import { mapOntoImage } from '../../../shared/heatmap';
import { cutOutPixels, geometryFor, inputRegion, loadMask, preprocess, resampleMaskNearest, viewRect, type FullMask, type PreprocessSpec } from './preprocess';

const spec: PreprocessSpec = {
  size: 224,
  resize: 256,
  resizeMode: 'stretch',
  interpolation: 'linear',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  channelOrder: 'RGB',
};
const dir = mkdtempSync(path.join(tmpdir(), 'pl-pre-'));

/** Uncompressed little-endian baseline TIFF, one 16-bit grey channel, one strip, every pixel = value. */
function tiff16(width: number, height: number, value: number): Uint8Array {
  const entries: [number, number, number, number][] = [
    // tag, type (3 SHORT, 4 LONG), count, value
    [256, 3, 1, width],
    [257, 3, 1, height],
    [258, 3, 1, 16],
    [259, 3, 1, 1],
    [262, 3, 1, 1],
    [273, 4, 1, 0], // strip offset, patched below
    [277, 3, 1, 1],
    [278, 3, 1, height],
    [279, 4, 1, width * height * 2],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  entries[5][3] = dataOffset;
  const buf = new Uint8Array(dataOffset + width * height * 2);
  const dv = new DataView(buf.buffer);
  buf.set([0x49, 0x49]);
  dv.setUint16(2, 42, true);
  dv.setUint32(4, 8, true);
  dv.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, count, v], i) => {
    const o = 10 + i * 12;
    dv.setUint16(o, tag, true);
    dv.setUint16(o + 2, type, true);
    dv.setUint32(o + 4, count, true);
    if (type === 3) dv.setUint16(o + 8, v, true);
    else dv.setUint32(o + 8, v, true);
  });
  for (let i = 0; i < width * height; i++) dv.setUint16(dataOffset + i * 2, value, true);
  return buf;
}

describe('geometryFor', () => {
  it('stretches to 256×256 then centre-crops 224 by default', () => {
    expect(geometryFor(240, 289, spec)).toEqual({ width: 240, height: 289, resizedWidth: 256, resizedHeight: 256, left: 16, top: 16, size: 224 });
  });
  it('keeps the aspect with shorter-side resizing (torchvision Resize(int))', () => {
    expect(geometryFor(240, 289, { ...spec, resizeMode: 'shorter-side' })).toMatchObject({ resizedWidth: 256, resizedHeight: 308, left: 16, top: 42 });
    expect(geometryFor(400, 100, { ...spec, resizeMode: 'shorter-side' })).toMatchObject({ resizedWidth: 1024, resizedHeight: 256, left: 400 });
  });
  it('means no crop when resize equals the input size, and refuses a resize below it', () => {
    expect(geometryFor(50, 80, { ...spec, resize: 224 })).toMatchObject({ left: 0, top: 0 });
    expect(() => geometryFor(50, 80, { ...spec, resize: 200 })).toThrow(/at least the input size/);
  });
});

describe('preprocess', () => {
  it('turns an 8-bit grayscale JPEG into three equal normalised channels', async () => {
    const file = path.join(dir, 'grey.jpg');
    await sharp(Buffer.alloc(120 * 90, 128), { raw: { width: 120, height: 90, channels: 1 } }).jpeg({ quality: 100 }).toFile(file);
    const p = await preprocess(file, spec);
    expect(p.bits).toBe(8);
    expect(p.tensor.length).toBe(3 * 224 * 224);
    const plane = 224 * 224;
    const v = [0, 1, 2].map((c) => p.tensor[c * plane + 1000]);
    [0, 1, 2].forEach((c) => expect(v[c]).toBeCloseTo((128 / 255 - spec.mean[c]) / spec.std[c], 1));
    expect(p.rgb[3000]).toBe(p.rgb[3001]);
    expect(p.geometry).toMatchObject({ width: 120, height: 90 });
  });

  it('keeps 16-bit precision', async () => {
    const file = path.join(dir, 'deep.png');
    const px = new Uint16Array(64 * 64).fill(40000);
    await sharp(px, { raw: { width: 64, height: 64, channels: 1 } }).toColourspace('grey16').png().toFile(file);
    const p = await preprocess(file, { ...spec, resize: 224 });
    expect(p.bits).toBe(16);
    expect(p.tensor[500]).toBeCloseTo((40000 / 65535 - spec.mean[0]) / spec.std[0], 3);
    expect(p.rgb[0]).toBe(40000 >> 8);
  });

  it('reads BMP (which sharp cannot) with the same pixels as the PNG of the same image', async () => {
    const w = 37;
    const h = 21;
    const rgb = new Uint8Array(w * h * 3).map((_, i) => (i * 7) % 251);
    const bmp = path.join(dir, 'img.bmp');
    const png = path.join(dir, 'img.png');
    writeFileSync(bmp, encodeBmp24(rgb, w, h));
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(png);
    expect(Array.from(decodeBmp(encodeBmp24(rgb, w, h)).data)).toEqual(Array.from(rgb));
    const a = await preprocess(bmp, spec);
    const b = await preprocess(png, spec);
    expect(Array.from(a.tensor.slice(0, 50))).toEqual(Array.from(b.tensor.slice(0, 50)));
  });

  it('reads 16-bit TIFF and RGBA PNG', async () => {
    // sharp writes TIFF at 8 bits only, so a minimal baseline 16-bit greyscale TIFF is written by hand.
    const tif = path.join(dir, 'deep.tif');
    writeFileSync(tif, tiff16(40, 30, 50000));
    const t = await preprocess(tif, spec);
    expect(t.bits).toBe(16);
    expect(t.tensor[0]).toBeCloseTo((50000 / 65535 - spec.mean[0]) / spec.std[0], 3);
    const png = path.join(dir, 'alpha.png');
    await sharp(Buffer.alloc(20 * 20 * 4, 255), { raw: { width: 20, height: 20, channels: 4 } }).png().toFile(png);
    const a = await preprocess(png, spec);
    expect(a.rgb[0]).toBe(255);
  });

  it('decodes an 8-bit palette BMP', () => {
    // 2×1, palette [black, red], pixels [1, 0], 4-byte row padding, bottom-up.
    const buf = new Uint8Array(54 + 8 + 4);
    const dv = new DataView(buf.buffer);
    buf.set([0x42, 0x4d]);
    dv.setUint32(10, 62, true);
    dv.setUint32(14, 40, true);
    dv.setInt32(18, 2, true);
    dv.setInt32(22, 1, true);
    dv.setUint16(28, 8, true);
    dv.setUint32(46, 2, true);
    buf.set([0, 0, 0, 0, 0, 0, 255, 0], 54);
    buf.set([1, 0, 0, 0], 62);
    expect(Array.from(decodeBmp(buf).data)).toEqual([255, 0, 0, 0, 0, 0]);
    expect(() => decodeBmp(buf.slice(0, 60))).toThrow(/truncated/);
  });

  it('rejects a truncated JPEG and a file that is not an image', async () => {
    const full = await sharp(Buffer.alloc(200 * 200 * 3, 90), { raw: { width: 200, height: 200, channels: 3 } }).jpeg().toBuffer();
    const cut = path.join(dir, 'cut.jpg');
    writeFileSync(cut, full.subarray(0, full.length >> 1));
    await expect(preprocess(cut, spec)).rejects.toThrow();
    const txt = path.join(dir, 'notes.png');
    writeFileSync(txt, 'hello');
    await expect(preprocess(txt, spec)).rejects.toThrow();
  });

  it('accepts a raw camera frame', async () => {
    const p = await preprocess({ data: new Uint8Array(30 * 40 * 4).fill(200), width: 30, height: 40, channels: 4 }, spec);
    expect(p.geometry).toMatchObject({ width: 30, height: 40 });
    expect(p.rgb[0]).toBe(200);
    await expect(preprocess({ data: new Uint8Array(10), width: 30, height: 40, channels: 1 }, spec)).rejects.toThrow(/raw image has 10 bytes/);
  });
});

describe('masks', () => {
  it('use nearest neighbour and count any non-zero value as defect', async () => {
    // 8×8 mask: anti-aliased edge value 1 at (0,0), a solid block at rows 4..7, cols 4..7.
    const m = new Uint8Array(64);
    m[0] = 1;
    for (let y = 4; y < 8; y++) for (let x = 4; x < 8; x++) m[y * 8 + x] = 255;
    const file = path.join(dir, 'mask.png');
    await sharp(m, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(file);
    const out = await loadMask(file, { size: 8, resize: 8, resizeMode: 'stretch' });
    expect(Array.from(out)).toEqual(Array.from(m).map((v) => (v ? 1 : 0)));
    // Upsampled 2× and cropped to the centre 12 of 16: the block starts at resized row 8 → crop row 6.
    const g = geometryFor(8, 8, { size: 12, resize: 16, resizeMode: 'stretch' });
    const r = resampleMaskNearest(m, g);
    expect(r[5 * 12 + 5]).toBe(0);
    expect(r[6 * 12 + 6]).toBe(1);
    expect(r[11 * 12 + 11]).toBe(1);
    expect(r.reduce((a, b) => a + b, 0)).toBe(36);
  });
});

describe('letterbox', () => {
  const lb: PreprocessSpec = { ...spec, resize: 224, resizeMode: 'letterbox' };

  it('fits the whole image with its aspect kept and centres it in the input', () => {
    expect(geometryFor(400, 100, lb)).toEqual({ width: 400, height: 100, resizedWidth: 224, resizedHeight: 56, left: 0, top: -84, size: 224 });
    expect(geometryFor(100, 300, lb)).toMatchObject({ resizedWidth: 75, resizedHeight: 224, left: -74, top: 0 });
    expect(() => geometryFor(400, 100, { ...lb, resize: 256 })).toThrow(/letterbox .* resize \(256\) must equal the input size \(224\)/);
  });

  it('places every pixel where the geometry says, pads with 0 (the mean), and maps and masks follow', async () => {
    // 400×100: a bright 40×20 block at x 300..339, y 60..79 on mid-grey.
    const w = 400;
    const h = 100;
    const px = new Uint8Array(w * h * 3).fill(100);
    const full: FullMask = { data: new Uint8Array(w * h), width: w, height: h };
    for (let y = 60; y < 80; y++) {
      for (let x = 300; x < 340; x++) {
        px.fill(250, (y * w + x) * 3, (y * w + x) * 3 + 3);
        full.data[y * w + x] = 1;
      }
    }
    const file = path.join(dir, 'wide.png');
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
    const p = await preprocess(file, lb);
    const g = p.geometry;
    const plane = 224 * 224;
    // Input pixel (x, y) shows original ((x + left)·w/rw, (y + top)·h/rh): 0.56 px per original pixel here.
    const at = (ox: number, oy: number) => Math.round(oy * (g.resizedHeight / h) - g.top) * 224 + Math.round(ox * (g.resizedWidth / w) - g.left);
    expect(p.tensor[at(320, 70)]).toBeCloseTo((250 / 255 - spec.mean[0]) / spec.std[0], 1);
    expect(p.tensor[at(100, 30)]).toBeCloseTo((100 / 255 - spec.mean[0]) / spec.std[0], 1);
    // Padding rows (above and below the 56 image rows) are exactly 0 in every channel; their RGB is the mean.
    for (const c of [0, 1, 2]) {
      expect(p.tensor[c * plane + 10 * 224 + 100]).toBe(0);
      expect(p.tensor[c * plane + 220 * 224 + 5]).toBe(0);
      expect(p.rgb[(10 * 224 + 100) * 3 + c]).toBe(Math.round(spec.mean[c] * 255));
    }
    expect(p.tensor[84 * 224 + 100]).not.toBe(0);
    // The mask lands on the block and nowhere in the padding.
    const m = resampleMaskNearest(full.data, g);
    expect(m[at(320, 70)]).toBe(1);
    expect(m[at(100, 30)]).toBe(0);
    expect(m.slice(0, 84 * 224).every((v) => v === 0)).toBe(true);
    const area = m.reduce((a, v) => a + v, 0);
    expect(area).toBeGreaterThan(0.9 * 40 * 20 * (224 / 400) ** 2);
    expect(area).toBeLessThan(1.1 * 40 * 20 * (224 / 400) ** 2);
    // A map that is 1 where the mask is, taken back to the original, is 1 on the block and 0 away from it.
    const map = { width: 224, height: 224, data: Float32Array.from(m) };
    const back = mapToOriginal(map, g);
    expect(back.data[70 * w + 320]).toBeCloseTo(1, 5);
    expect(back.data[30 * w + 100]).toBe(0);
    const onto = mapOntoImage(map, inputRegion(g), w, h);
    expect(onto[70 * w + 320]).toBeCloseTo(1, 5);
    expect(onto[30 * w + 100]).toBe(0);
    expect(Array.from(onto)).toEqual(Array.from(back.data));
    // Nothing of the image is out of view.
    expect(viewRect(g)).toEqual({ x0: 0, y0: 0, x1: w, y1: h });
  });

  it('handles an image one pixel short of square (the resize rounds to 223 of 224)', async () => {
    const file = path.join(dir, 'almost.png');
    await sharp(Buffer.alloc(295 * 296 * 3, 90), { raw: { width: 295, height: 296, channels: 3 } }).png().toFile(file);
    const p = await preprocess(file, lb);
    expect(p.geometry).toMatchObject({ resizedWidth: 223, resizedHeight: 224, left: 0, top: 0 });
    expect(p.tensor[223]).toBe(0);
    expect(p.tensor[222]).not.toBe(0);
  });
});

describe('defect pixels cut out of view', () => {
  // A 300×100 part with a defect touching its left end.
  const w = 300;
  const h = 100;
  const mask: FullMask = { data: new Uint8Array(w * h), width: w, height: h };
  for (let y = 40; y < 50; y++) for (let x = 0; x < 10; x++) mask.data[y * w + x] = 1;
  const cut = (s: Pick<PreprocessSpec, 'size' | 'resize' | 'resizeMode'>) => cutOutPixels(mask, [viewRect(geometryFor(w, h, s))]);

  it('is 0 for letterbox and for stretching the whole image', () => {
    expect(cut({ size: 224, resize: 224, resizeMode: 'letterbox' })).toBe(0);
    expect(cut({ size: 224, resize: 224, resizeMode: 'stretch' })).toBe(0);
  });

  it('is the whole border defect for shorter-side + centre crop, and part of it for the reference stretch + crop', () => {
    // shorter-side 256: 768×256, centre 224 columns = original x 136..211: the defect is gone.
    expect(cut({ size: 224, resize: 256, resizeMode: 'shorter-side' })).toBe(100);
    // stretch 256 then crop 224: the first 16/256 of the width (18.75 px) is cut off.
    expect(cut({ size: 224, resize: 256, resizeMode: 'stretch' })).toBe(100);
    // stretch 232 then crop 224: 4 resized columns = 5.17 original columns cut off on the left: x 0..4.
    expect(cut({ size: 224, resize: 232, resizeMode: 'stretch' })).toBe(50);
  });
});
