// Image → network tensor, as the reference does it: decode (8 or 16 bit, grey becomes RGB), resize (by default to
// 256×256 ignoring aspect), centre-crop to the input size, normalise with the card's mean/std. Masks follow the same
// geometry with nearest-neighbour sampling; any non-zero mask value is defect.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { RawImage } from '../api';
import { decodeBmp, isBmp } from './bmp';

export type ResizeMode = 'stretch' | 'shorter-side';
export type Interpolation = 'linear' | 'cubic' | 'lanczos3';

export interface PreprocessSpec {
  /** Side of the square network input (the crop). */
  size: number;
  /** Pre-crop resize: the square side for `stretch`, the shorter side for `shorter-side`. Equal to size = no crop. */
  resize: number;
  resizeMode: ResizeMode;
  interpolation: Interpolation;
  mean: [number, number, number];
  std: [number, number, number];
  channelOrder: 'RGB' | 'BGR';
}

/** Where the network input sits in the original image. */
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

export async function preprocess(src: ImageSource, spec: PreprocessSpec): Promise<Preprocessed> {
  const img = await openImage(src);
  const meta = await img.metadata();
  if (!meta.width || !meta.height) throw new Error('image has no size');
  const bits: 8 | 16 = meta.depth === 'ushort' ? 16 : 8;
  // fastShrinkOnLoad is off: JPEG DCT-domain shrinking would make large images differ from the reference's resize.
  const g = geometryFor(meta.width, meta.height, spec);
  const { data } = await img
    .toColourspace(bits === 16 ? 'rgb16' : 'srgb')
    .removeAlpha()
    .resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: spec.interpolation, fastShrinkOnLoad: false })
    .extract({ left: g.left, top: g.top, width: spec.size, height: spec.size })
    .raw({ depth: bits === 16 ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const plane = spec.size * spec.size;
  const px = bits === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (px.length !== plane * 3) throw new Error(`decoder returned ${px.length} samples, expected ${plane * 3}`);
  const maxVal = bits === 16 ? 65535 : 255;
  const tensor = new Float32Array(3 * plane);
  const rgb = new Uint8Array(plane * 3);
  const order = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const srcC = order[c];
    const a = 1 / (maxVal * spec.std[c]);
    const b = -spec.mean[c] / spec.std[c];
    const dst = c * plane;
    for (let i = 0; i < plane; i++) tensor[dst + i] = px[i * 3 + srcC] * a + b;
  }
  if (bits === 16) for (let i = 0; i < rgb.length; i++) rgb[i] = px[i] >> 8;
  else rgb.set(px);
  return { tensor, rgb, geometry: g, bits };
}

/** Reads a mask and maps it through the image geometry with nearest-neighbour sampling: 1 = defect, 0 = good. */
export async function loadMask(file: string, spec: Pick<PreprocessSpec, 'size' | 'resize' | 'resizeMode'>): Promise<Uint8Array> {
  const img = await openImage(file);
  const { data, info } = await img.extractChannel(0).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const g = geometryFor(info.width, info.height, spec);
  return resampleMaskNearest(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), g);
}

/** PIL's NEAREST convention: source index = floor((dst + 0.5) × src / dst), then the crop offset. */
export function resampleMaskNearest(src: Uint8Array, g: Geometry): Uint8Array {
  const out = new Uint8Array(g.size * g.size);
  const sx = g.width / g.resizedWidth;
  const sy = g.height / g.resizedHeight;
  const cols = new Int32Array(g.size);
  for (let x = 0; x < g.size; x++) cols[x] = Math.min(g.width - 1, Math.floor((x + g.left + 0.5) * sx));
  for (let y = 0; y < g.size; y++) {
    const srcY = Math.min(g.height - 1, Math.floor((y + g.top + 0.5) * sy));
    const row = srcY * g.width;
    for (let x = 0; x < g.size; x++) out[y * g.size + x] = src[row + cols[x]] !== 0 ? 1 : 0;
  }
  return out;
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
