// Image → network tensor: decode (8 or 16 bit, grey becomes RGB), resize, place in the square input, normalise with the
// card's mean/std. The default, letterbox, fits the whole image into the input with its aspect kept and pads the rest
// with the card's mean (0 after normalisation), so no part of the part is cut off; 'stretch' and 'shorter-side' are
// the reference's resize-then-centre-crop. Masks follow the same geometry with nearest-neighbour sampling; any
// non-zero mask value is defect.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { RawImage } from '../api';
import { decodeBmp, isBmp } from './bmp';

export type ResizeMode = 'letterbox' | 'stretch' | 'shorter-side';
export const RESIZE_MODES: readonly ResizeMode[] = ['letterbox', 'stretch', 'shorter-side'];
export type Interpolation = 'linear' | 'cubic' | 'lanczos3';

export interface PreprocessSpec {
  /** Side of the square network input (the crop). */
  size: number;
  /**
   * Pre-crop resize: the square side for `stretch`, the shorter side for `shorter-side`. Equal to size = no crop.
   * `letterbox` never crops (the longer side becomes `size`) and needs resize = size.
   */
  resize: number;
  resizeMode: ResizeMode;
  interpolation: Interpolation;
  mean: [number, number, number];
  std: [number, number, number];
  channelOrder: 'RGB' | 'BGR';
}

/**
 * Where the network input sits in the original image: the image is resized to resizedWidth × resizedHeight and the
 * input is the size × size window at (left, top) of it. A negative left/top (letterbox) means the window is larger
 * than the resized image there: padding. Input pixel x ↔ original x' = (x + left) · width / resizedWidth.
 */
export interface Geometry {
  width: number;
  height: number;
  resizedWidth: number;
  resizedHeight: number;
  left: number;
  top: number;
  size: number;
}

export interface Preprocessed {
  /** 3 × size × size, channel-major, normalised. */
  tensor: Float32Array;
  /** size × size × 3, 8-bit RGB of the crop (for overlays). */
  rgb: Uint8Array;
  geometry: Geometry;
  bits: 8 | 16;
}

export type ImageSource = string | Uint8Array | RawImage;

export function geometryFor(width: number, height: number, spec: Pick<PreprocessSpec, 'size' | 'resize' | 'resizeMode'>): Geometry {
  if (spec.resizeMode === 'letterbox') {
    if (spec.resize !== spec.size) throw new Error(`letterbox fits the whole image into the input and does not crop: resize (${spec.resize}) must equal the input size (${spec.size})`);
    const scale = spec.size / Math.max(width, height);
    const rw = Math.max(1, Math.min(spec.size, Math.round(width * scale)));
    const rh = Math.max(1, Math.min(spec.size, Math.round(height * scale)));
    return { width, height, resizedWidth: rw, resizedHeight: rh, left: -Math.floor((spec.size - rw) / 2) || 0, top: -Math.floor((spec.size - rh) / 2) || 0, size: spec.size };
  }
  if (spec.resize < spec.size) throw new Error(`resize (${spec.resize}) must be at least the input size (${spec.size})`);
  let rw = spec.resize;
  let rh = spec.resize;
  if (spec.resizeMode === 'shorter-side') {
    // torchvision.transforms.Resize(int): the shorter side becomes `resize`, the longer one is truncated.
    if (width <= height) rh = Math.floor((spec.resize * height) / width);
    else rw = Math.floor((spec.resize * width) / height);
  }
  return {
    width,
    height,
    resizedWidth: rw,
    resizedHeight: rh,
    left: Math.round((rw - spec.size) / 2),
    top: Math.round((rh - spec.size) / 2),
    size: spec.size,
  };
}

function isRaw(src: ImageSource): src is RawImage {
  return typeof src === 'object' && !(src instanceof Uint8Array);
}

async function openImage(src: ImageSource): Promise<ReturnType<typeof sharp>> {
  if (isRaw(src)) {
    if (src.data.length !== src.width * src.height * src.channels) {
      throw new Error(`raw image has ${src.data.length} bytes, expected ${src.width}×${src.height}×${src.channels}`);
    }
    if (src.channels !== 4) return sharp(src.data, { raw: { width: src.width, height: src.height, channels: src.channels } });
    // Camera frames carry an unused alpha byte; dropping it here avoids sharp's premultiplied-alpha rounding.
    const rgb = new Uint8Array(src.width * src.height * 3);
    for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
      rgb[j] = src.data[i];
      rgb[j + 1] = src.data[i + 1];
      rgb[j + 2] = src.data[i + 2];
    }
    return sharp(rgb, { raw: { width: src.width, height: src.height, channels: 3 } });
  }
  const bytes = typeof src === 'string' ? await readFile(src) : src;
  if (isBmp(bytes)) {
    const bmp = decodeBmp(bytes);
    return sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 3 } });
  }
  // 'truncated' rejects cut-off files but tolerates the harmless warnings many camera JPEGs carry.
  return sharp(bytes, { failOn: 'truncated' });
}

/** A rectangle of an image in its own pixels (a tile). */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Letterbox: the resized image is smaller than the input along at least one side (by one pixel where it rounds). */
export function letterboxed(g: Geometry, size: number): boolean {
  return g.left < 0 || g.top < 0 || g.resizedWidth < size || g.resizedHeight < size;
}

/** The image, or only `region` of it (a tile: its geometry is then the region's, as if it were the whole image). */
export async function preprocess(src: ImageSource, spec: PreprocessSpec, region?: Region): Promise<Preprocessed> {
  let img = await openImage(src);
  const meta = await img.metadata();
  if (!meta.width || !meta.height) throw new Error('image has no size');
  const bits: 8 | 16 = meta.depth === 'ushort' ? 16 : 8;
  if (region) {
    if (region.left < 0 || region.top < 0 || region.left + region.width > meta.width || region.top + region.height > meta.height) {
      throw new Error(`region ${region.width}×${region.height} at (${region.left}, ${region.top}) is outside the ${meta.width}×${meta.height} image`);
    }
    // Before the resize: sharp crops the source, then resizes the tile.
    img = img.extract(region);
  }
  // fastShrinkOnLoad is off: JPEG DCT-domain shrinking would make large images differ from the reference's resize.
  const g = region ? geometryFor(region.width, region.height, spec) : geometryFor(meta.width, meta.height, spec);
  const pad = letterboxed(g, spec.size);
  let pipeline = img
    .toColourspace(bits === 16 ? 'rgb16' : 'srgb')
    .removeAlpha()
    .resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: spec.interpolation, fastShrinkOnLoad: false });
  if (!pad) pipeline = pipeline.extract({ left: g.left, top: g.top, width: spec.size, height: spec.size });
  const { data } = await pipeline.raw({ depth: bits === 16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  const size = spec.size;
  const plane = size * size;
  const px = bits === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // The decoded window: the whole input, or (letterbox) the resized image inside it at (-left, -top).
  const winW = pad ? g.resizedWidth : size;
  const winH = pad ? g.resizedHeight : size;
  const offX = pad ? -g.left : 0;
  const offY = pad ? -g.top : 0;
  if (px.length !== winW * winH * 3) throw new Error(`decoder returned ${px.length} samples, expected ${winW * winH * 3}`);
  const maxVal = bits === 16 ? 65535 : 255;
  // Padding is the card's mean: exactly 0 in the tensor, so the network sees "average" there and nothing to score.
  const tensor = new Float32Array(3 * plane);
  const rgb = new Uint8Array(plane * 3);
  const order = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const srcC = order[c];
    const a = 1 / (maxVal * spec.std[c]);
    const b = -spec.mean[c] / spec.std[c];
    const dst = c * plane;
    const padRgb = Math.round(spec.mean[c] * 255);
    if (pad) for (let i = 0; i < plane; i++) rgb[i * 3 + srcC] = padRgb;
    for (let y = 0; y < winH; y++) {
      const row = (y + offY) * size + offX;
      for (let x = 0; x < winW; x++) {
        const s = (y * winW + x) * 3 + srcC;
        tensor[dst + row + x] = px[s] * a + b;
        rgb[(row + x) * 3 + srcC] = bits === 16 ? px[s] >> 8 : px[s];
      }
    }
  }
  return { tensor, rgb, geometry: g, bits };
}

/** A mask at its own size: 1 = defect, 0 = good (any non-zero value of its first channel is defect). */
export interface FullMask {
  data: Uint8Array;
  width: number;
  height: number;
}

export async function readMask(file: string): Promise<FullMask> {
  const img = await openImage(file);
  const { data, info } = await img.extractChannel(0).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i] !== 0 ? 1 : 0;
  return { data: out, width: info.width, height: info.height };
}

/** Reads a mask and maps it through the image geometry with nearest-neighbour sampling: 1 = defect, 0 = good. */
export async function loadMask(file: string, spec: Pick<PreprocessSpec, 'size' | 'resize' | 'resizeMode'>): Promise<Uint8Array> {
  const m = await readMask(file);
  return resampleMaskNearest(m.data, geometryFor(m.width, m.height, spec));
}

/**
 * PIL's NEAREST convention: source index = floor((dst + 0.5) × src / dst), then the crop offset. Input pixels outside
 * the image (letterbox padding) are good.
 */
export function resampleMaskNearest(src: Uint8Array, g: Geometry): Uint8Array {
  const out = new Uint8Array(g.size * g.size);
  const sx = g.width / g.resizedWidth;
  const sy = g.height / g.resizedHeight;
  const cols = new Int32Array(g.size);
  for (let x = 0; x < g.size; x++) {
    const rx = x + g.left;
    cols[x] = rx < 0 || rx >= g.resizedWidth ? -1 : Math.min(g.width - 1, Math.floor((rx + 0.5) * sx));
  }
  for (let y = 0; y < g.size; y++) {
    const ry = y + g.top;
    if (ry < 0 || ry >= g.resizedHeight) continue;
    const row = Math.min(g.height - 1, Math.floor((ry + 0.5) * sy)) * g.width;
    for (let x = 0; x < g.size; x++) if (cols[x] >= 0) out[y * g.size + x] = src[row + cols[x]] !== 0 ? 1 : 0;
  }
  return out;
}

/**
 * The part of the original image the network input shows, in original pixels (half-open): the crop of the resize-
 * then-crop modes, the whole image for letterbox (its window extends past the image).
 */
export function viewRect(g: Geometry): { x0: number; y0: number; x1: number; y1: number } {
  const sx = g.width / g.resizedWidth;
  const sy = g.height / g.resizedHeight;
  return {
    x0: Math.max(0, g.left * sx),
    y0: Math.max(0, g.top * sy),
    x1: Math.min(g.width, (g.left + g.size) * sx),
    y1: Math.min(g.height, (g.top + g.size) * sy),
  };
}

/** Where the network input (size × size) lies on the original image, in original pixels (padding included). */
export function inputRegion(g: Geometry): { left: number; top: number; width: number; height: number; imageWidth: number; imageHeight: number } {
  return {
    left: (g.left * g.width) / g.resizedWidth,
    top: (g.top * g.height) / g.resizedHeight,
    width: (g.size * g.width) / g.resizedWidth,
    height: (g.size * g.height) / g.resizedHeight,
    imageWidth: g.width,
    imageHeight: g.height,
  };
}

export type ViewRect = ReturnType<typeof viewRect>;

/**
 * Defect pixels of a full-size mask whose centres lie outside every view (what the network inputs show: one view, or
 * one per tile): pixels a crop cut off, which no model could find.
 */
export function cutOutPixels(mask: FullMask, views: ViewRect[]): number {
  let n = 0;
  for (let y = 0; y < mask.height; y++) {
    const row = y * mask.width;
    const cy = y + 0.5;
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[row + x]) continue;
      const cx = x + 0.5;
      if (!views.some((v) => cx >= v.x0 && cx < v.x1 && cy >= v.y0 && cy < v.y1)) n++;
    }
  }
  return n;
}

/** Decodes an image at its own size into 8-bit interleaved RGB (for overlays on the original). */
export async function decodeRgb(src: ImageSource): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await (await openImage(src)).toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Decodes only the header: the size of an image without decoding its pixels. */
export async function imageSize(src: ImageSource): Promise<{ width: number; height: number }> {
  const meta = await (await openImage(src)).metadata();
  if (!meta.width || !meta.height) throw new Error('image has no size');
  return { width: meta.width, height: meta.height };
}

/** The whole image resized (aspect ignored) to width × height, 8-bit RGB: the frame eval scores letterbox and tiles in. */
export async function decodeRgbResized(src: ImageSource, width: number, height: number): Promise<Uint8Array> {
  const img = await openImage(src);
  const { data } = await img.toColourspace('srgb').removeAlpha().resize(width, height, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: false }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
