// Synthetic defects on real good images, with exact masks, for choosing a model's settings from good images alone
// (model/auto-config.ts). Four kinds, each drawn at the image's own resolution and sized relative to it, so that every
// preprocessing candidate sees the same defect: a patch cut from another good image (a foreign part of the surface),
// a local texture/colour change, a thin scratch and a small blob. A defect is equally likely anywhere in the frame: a
// setting that crops the frame pays for the defects it cuts off. Seeded: the same image, kind and seed give the same
// pixels and mask.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeRgb } from '../image/preprocess';
import { rng } from '../random';

export const SYNTHETIC_DEFECT_KINDS = ['paste', 'texture', 'scratch', 'blob'] as const;
export type SyntheticDefectKind = (typeof SYNTHETIC_DEFECT_KINDS)[number];

/** 8-bit interleaved RGB. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface Defected {
  image: RgbImage;
  /** width × height, 1 = defect. */
  mask: Uint8Array;
}

const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** True when every pixel has R = G = B: colour changes would then be a give-away no real defect of the part has. */
export function isGrey(img: RgbImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

function uniform(rand: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rand();
}

/** Paints the pixels where `inside(x, y)` (within the box) through `f`, and marks them in the mask. */
function paint(
  out: RgbImage,
  mask: Uint8Array,
  box: { x0: number; y0: number; x1: number; y1: number },
  inside: (x: number, y: number) => boolean,
  f: (x: number, y: number, c: number, v: number) => number,
): void {
  const { width: w, height: h, data } = out;
  for (let y = Math.max(0, Math.floor(box.y0)); y <= Math.min(h - 1, Math.ceil(box.y1)); y++) {
    for (let x = Math.max(0, Math.floor(box.x0)); x <= Math.min(w - 1, Math.ceil(box.x1)); x++) {
      if (!inside(x, y)) continue;
      const i = y * w + x;
      for (let c = 0; c < 3; c++) data[i * 3 + c] = clamp255(f(x, y, c, data[i * 3 + c]));
      mask[i] = 1;
    }
  }
}

/** A patch of `donor` (another good image), flipped at random, pasted at a random place. */
function paste(out: RgbImage, mask: Uint8Array, donor: RgbImage, rand: () => number, s: number): void {
  const pw = Math.max(2, Math.min(donor.width, out.width, Math.round(s * uniform(rand, 0.08, 0.16))));
  const ph = Math.max(2, Math.min(donor.height, out.height, Math.round(s * uniform(rand, 0.08, 0.16))));
  const sx = Math.floor(rand() * (donor.width - pw + 1));
  const sy = Math.floor(rand() * (donor.height - ph + 1));
  const dx = Math.floor(rand() * (out.width - pw + 1));
  const dy = Math.floor(rand() * (out.height - ph + 1));
  const flipX = rand() < 0.5;
  const flipY = rand() < 0.5;
  paint(
    out,
    mask,
    { x0: dx, y0: dy, x1: dx + pw - 1, y1: dy + ph - 1 },
    () => true,
    (x, y, c) => {
      const u = flipX ? pw - 1 - (x - dx) : x - dx;
      const v = flipY ? ph - 1 - (y - dy) : y - dy;
      return donor.data[((sy + v) * donor.width + sx + u) * 3 + c];
    },
  );
}

/** An ellipse whose texture is smoothed away or roughened, and whose brightness (and hue, on colour images) shifts. */
function texture(out: RgbImage, mask: Uint8Array, rand: () => number, s: number, grey: boolean): void {
  const cx = rand() * out.width;
  const cy = rand() * out.height;
  const rx = s * uniform(rand, 0.04, 0.1);
  const ry = s * uniform(rand, 0.04, 0.1);
  const gain = 1 + (rand() < 0.5 ? -1 : 1) * uniform(rand, 0.15, 0.35);
  const tint = grey ? [1, 1, 1] : [0, 1, 2].map(() => 1 + uniform(rand, -0.25, 0.25));
  const smooth = rand() < 0.5;
  const r = Math.max(1, Math.round(s * 0.01));
  const src = Uint8Array.from(out.data);
  const noise = rng(Math.floor(rand() * 2 ** 31));
  const w = out.width;
  const boxMean = (x: number, y: number, c: number) => {
    let sum = 0;
    let n = 0;
    for (let yy = Math.max(0, y - r); yy <= Math.min(out.height - 1, y + r); yy++) {
      for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++, n++) sum += src[(yy * w + xx) * 3 + c];
    }
    return sum / n;
  };
  // One noise draw per pixel (not per channel) on grey images, so they stay grey.
  let lastNoise = 0;
  paint(
    out,
    mask,
    { x0: cx - rx, y0: cy - ry, x1: cx + rx, y1: cy + ry },
    (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1,
    (x, y, c, v) => {
      if (smooth) return boxMean(x, y, c) * gain * tint[c];
      if (c === 0 || !grey) lastNoise = (noise() - 0.5) * 40;
      return (v + lastNoise) * gain * tint[c];
    },
  );
}

/** A thin, slightly curved line, brighter or darker than the surface. */
function scratch(out: RgbImage, mask: Uint8Array, rand: () => number, s: number): void {
  let x = rand() * out.width;
  let y = rand() * out.height;
  let a = rand() * Math.PI * 2;
  const len = s * uniform(rand, 0.15, 0.35);
  const half = Math.max(0.5, (s * uniform(rand, 0.004, 0.01)) / 2);
  const bend = uniform(rand, -1, 1) / len;
  const bright = rand() < 0.5;
  const strength = uniform(rand, 0.4, 0.7);
  // The line's pixels first, then each recoloured once (overlapping steps must not compound).
  for (let t = 0; t <= len; t += 0.5) {
    for (let yy = Math.max(0, Math.floor(y - half)); yy <= Math.min(out.height - 1, Math.ceil(y + half)); yy++) {
      for (let xx = Math.max(0, Math.floor(x - half)); xx <= Math.min(out.width - 1, Math.ceil(x + half)); xx++) {
        if (Math.hypot(xx - x, yy - y) <= half + 0.25) mask[yy * out.width + xx] = 1;
      }
    }
    x += Math.cos(a) * 0.5;
    y += Math.sin(a) * 0.5;
    a += bend * 0.5;
  }
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < 3; c++) {
      const v = out.data[i * 3 + c];
      out.data[i * 3 + c] = clamp255(bright ? v + (255 - v) * strength : v * (1 - strength));
    }
  }
}

/** A few overlapping discs: a pit, a spot of dirt or a bump, darker or brighter with a soft centre. */
function blob(out: RgbImage, mask: Uint8Array, rand: () => number, s: number): void {
  const cx = rand() * out.width;
  const cy = rand() * out.height;
  const dark = rand() < 0.6;
  const strength = uniform(rand, 0.35, 0.7);
  const discs = 2 + Math.floor(rand() * 3);
  const rMax = s * 0.04;
  const parts = Array.from({ length: discs }, () => ({ x: cx + uniform(rand, -1, 1) * rMax, y: cy + uniform(rand, -1, 1) * rMax, r: Math.max(1, s * uniform(rand, 0.015, 0.04)) }));
  const depth = (x: number, y: number) => Math.max(0, ...parts.map((p) => 1 - Math.hypot(x - p.x, y - p.y) / p.r));
  paint(
    out,
    mask,
    { x0: cx - 2 * rMax, y0: cy - 2 * rMax, x1: cx + 2 * rMax, y1: cy + 2 * rMax },
    (x, y) => depth(x, y) > 0,
    (x, y, _c, v) => {
      const t = strength * (0.5 + 0.5 * depth(x, y));
      return dark ? v * (1 - t) : v + (255 - v) * t;
    },
  );
}

/**
 * `img` with one defect of `kind` drawn on a copy, and its mask. `paste` needs a donor (another good image). Defects
 * are sized relative to the shorter side, so they keep their size in the network's input whatever the resolution.
 */
export function addSyntheticDefect(img: RgbImage, kind: SyntheticDefectKind, seed: number, donor?: RgbImage): Defected {
  const out: RgbImage = { data: Uint8Array.from(img.data), width: img.width, height: img.height };
  const mask = new Uint8Array(img.width * img.height);
  const rand = rng(seed);
  const s = Math.min(img.width, img.height);
  if (kind === 'paste') {
    if (!donor) throw new Error('a pasted-patch defect needs a donor image');
    paste(out, mask, donor, rand, s);
  } else if (kind === 'texture') texture(out, mask, rand, s, isGrey(img));
  else if (kind === 'scratch') scratch(out, mask, rand, s);
  else blob(out, mask, rand, s);
  return { image: out, mask };
}

export async function writeRgbPng(file: string, img: RgbImage): Promise<void> {
  await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toFile(file);
}

async function writeMaskPng(file: string, mask: Uint8Array, width: number, height: number): Promise<void> {
  const bytes = Uint8Array.from(mask, (m) => (m ? 255 : 0));
  await sharp(bytes, { raw: { width, height, channels: 1 } })
    .png({ compressionLevel: 1 })
    .toFile(file);
}

export interface HeldOutImage {
  path: string;
  label: 0 | 1;
  kind: 'good' | SyntheticDefectKind;
  /** The defect mask (PNG at the image's own size); null for good images. */
  mask: string | null;
  /** The good image it was made from. */
  source: string;
}

/**
 * The held-out evaluation set in `dir`: each good image re-encoded as it is (8-bit PNG, like the defective copies, so
 * the two differ only by the defect) and `perImage` defective copies, the kinds taking turns over the whole set so
 * each is equally represented. Donors for pasted patches are drawn from `donors` (images the bank is fitted on).
 */
export async function writeHeldOutSet(
  goods: string[],
  donors: string[],
  dir: string,
  o: { seed: number; perImage: number; kinds?: readonly SyntheticDefectKind[] },
): Promise<HeldOutImage[]> {
  const kinds = o.kinds ?? SYNTHETIC_DEFECT_KINDS;
  if (kinds.length === 0) throw new Error('at least one synthetic defect kind is needed');
  if (kinds.includes('paste') && donors.length === 0) throw new Error('pasted-patch defects need at least one donor image');
  mkdirSync(dir, { recursive: true });
  const pick = rng(o.seed ^ 0xd0);
  const donorCache = new Map<string, RgbImage>();
  const donor = async (file: string) => {
    let d = donorCache.get(file);
    if (!d) {
      d = await decodeRgb(file);
      if (donorCache.size > 16) donorCache.clear();
      donorCache.set(file, d);
    }
    return d;
  };
  const out: HeldOutImage[] = [];
  let turn = 0;
  for (let g = 0; g < goods.length; g++) {
    const img = await decodeRgb(goods[g]);
    const stem = String(g).padStart(4, '0');
    const goodPath = path.join(dir, `${stem}-good.png`);
    await writeRgbPng(goodPath, img);
    out.push({ path: goodPath, label: 0, kind: 'good', mask: null, source: goods[g] });
    for (let k = 0; k < o.perImage; k++) {
      const kind = kinds[turn++ % kinds.length];
      const d = kind === 'paste' ? await donor(donors[Math.floor(pick() * donors.length)]) : undefined;
      const { image, mask } = addSyntheticDefect(img, kind, (o.seed * 7919 + g * 131 + k) >>> 0, d);
      const p = path.join(dir, `${stem}-${k}-${kind}.png`);
      const m = path.join(dir, `${stem}-${k}-${kind}_mask.png`);
      await writeRgbPng(p, image);
      await writeMaskPng(m, mask, image.width, image.height);
      out.push({ path: p, label: 1, kind, mask: m, source: goods[g] });
    }
  }
  return out;
}
