// A small procedural inspection dataset for the demo and the tests: machined washers on a brushed plate, seeded, in
// the MVTec AD layout, with four kinds of drawn defects and their masks. Generated on demand, never committed.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { rng } from '../random';

export interface SyntheticOptions {
  seed?: number;
  size?: number;
  train?: number;
  testGood?: number;
  /** Test images per defect kind. */
  perDefect?: number;
}

export const DEFECT_KINDS = ['scratch', 'hole', 'crack', 'stain'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

/** Smooth value noise: random lattice values, bicubic-smoothstep interpolated, summed over octaves. */
function valueNoise(size: number, cell: number, octaves: number, rand: () => number): Float32Array {
  const out = new Float32Array(size * size);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const c = Math.max(2, cell >> o);
    const n = Math.ceil(size / c) + 2;
    const lattice = Float32Array.from({ length: n * n }, () => rand());
    for (let y = 0; y < size; y++) {
      const fy = y / c;
      const y0 = Math.floor(fy);
      const ty = fy - y0;
      const sy = ty * ty * (3 - 2 * ty);
      for (let x = 0; x < size; x++) {
        const fx = x / c;
        const x0 = Math.floor(fx);
        const tx = fx - x0;
        const sx = tx * tx * (3 - 2 * tx);
        const a = lattice[y0 * n + x0];
        const b = lattice[y0 * n + x0 + 1];
        const d = lattice[(y0 + 1) * n + x0];
        const e = lattice[(y0 + 1) * n + x0 + 1];
        out[y * size + x] += amp * ((a + (b - a) * sx) * (1 - sy) + (d + (e - d) * sx) * sy);
      }
    }
    total += amp;
    amp *= 0.5;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

interface Part {
  rgb: Float32Array; // size × size × 3, 0..255
  mask: Uint8Array; // size × size, 0/255
  size: number;
  cx: number;
  cy: number;
  rOuter: number;
  rInner: number;
}

function goodPart(size: number, rand: () => number): Part {
  const grain = valueNoise(size, 32, 4, rand);
  const brushed = valueNoise(size, 6, 2, rand);
  const cx = size / 2 + (rand() - 0.5) * 10;
  const cy = size / 2 + (rand() - 0.5) * 10;
  const rOuter = size * (0.36 + rand() * 0.02);
  const rInner = size * (0.13 + rand() * 0.01);
  const light = 0.9 + rand() * 0.2;
  const lightAngle = rand() * Math.PI * 2;
  const rgb = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const dx = x - cx;
      const dy = y - cy;
      const r = Math.hypot(dx, dy);
      // Plate: horizontal brushing (noise stretched along x) on a blue-grey base.
      const brush = brushed[y * size + ((x >> 3) % size)] * 0.6 + grain[i] * 0.4;
      let v = 95 + 50 * brush;
      let tint = [0.92, 0.97, 1.08];
      if (r < rOuter && r > rInner) {
        // Washer: turned rings (concentric fine grooves) with radial shading, brighter and warmer.
        const rings = 0.5 + 0.5 * Math.sin(r * 1.9 + grain[i] * 3);
        const shade = 0.75 + 0.25 * Math.cos(Math.atan2(dy, dx) - lightAngle);
        v = (150 + 40 * rings + 25 * grain[i]) * shade;
        tint = [1.05, 1.0, 0.9];
        const edge = Math.min(r - rInner, rOuter - r);
        if (edge < 2.5) v *= 0.65;
      } else if (r <= rInner) {
        v = 30 + 20 * grain[i];
      }
      v *= light;
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = v * tint[c];
    }
  }
  return { rgb, mask: new Uint8Array(size * size), size, cx, cy, rOuter, rInner };
}

/** Paints a disc of radius r at (x, y) through `f`, marking the mask. */
function stamp(p: Part, x: number, y: number, r: number, f: (v: number, c: number, t: number) => number): void {
  const s = p.size;
  for (let yy = Math.max(0, Math.floor(y - r)); yy <= Math.min(s - 1, Math.ceil(y + r)); yy++) {
    for (let xx = Math.max(0, Math.floor(x - r)); xx <= Math.min(s - 1, Math.ceil(x + r)); xx++) {
      const d = Math.hypot(xx - x, yy - y);
      if (d > r) continue;
      const i = yy * s + xx;
      const t = 1 - d / (r + 1e-6);
      for (let c = 0; c < 3; c++) p.rgb[i * 3 + c] = f(p.rgb[i * 3 + c], c, t);
      p.mask[i] = 255;
    }
  }
}

/** A point on the washer (where inspectors look), at a random angle and radius. */
function onPart(p: Part, rand: () => number): [number, number] {
  const a = rand() * Math.PI * 2;
  const r = p.rInner + 8 + rand() * (p.rOuter - p.rInner - 16);
  return [p.cx + r * Math.cos(a), p.cy + r * Math.sin(a)];
}

function addDefect(p: Part, kind: DefectKind, rand: () => number): void {
  const [x0, y0] = onPart(p, rand);
  // Severity varies from faint to obvious, so the demo's scores spread like a real line's.
  const sev = 0.12 + 0.88 * rand();
  if (kind === 'scratch') {
    const a = rand() * Math.PI;
    const len = p.size * (0.1 + rand() * 0.15);
    const bright = rand() < 0.5;
    for (let t = 0; t <= len; t += 0.5) {
      stamp(p, x0 + Math.cos(a) * t, y0 + Math.sin(a) * t, 1.4, (v) => (bright ? Math.min(255, v + 90 * sev) : v * (1 - 0.65 * sev)));
    }
  } else if (kind === 'hole') {
    const r = p.size * (0.015 + rand() * 0.03);
    stamp(p, x0, y0, r, (v, _c, t) => v * (1 - sev * (0.85 - 0.3 * (1 - t))));
  } else if (kind === 'crack') {
    let [x, y] = [x0, y0];
    let a = rand() * Math.PI * 2;
    const steps = 30 + Math.floor(rand() * 40);
    for (let k = 0; k < steps; k++) {
      a += (rand() - 0.5) * 0.9;
      x += Math.cos(a) * 1.5;
      y += Math.sin(a) * 1.5;
      stamp(p, x, y, 1.0, (v) => v * (1 - 0.7 * sev));
    }
  } else {
    // Stain: an irregular discoloured blob (oil, corrosion): shifts hue, keeps texture.
    const blobs = 3 + Math.floor(rand() * 3);
    for (let b = 0; b < blobs; b++) {
      const r = p.size * (0.03 + rand() * 0.03);
      stamp(p, x0 + (rand() - 0.5) * r * 2, y0 + (rand() - 0.5) * r * 2, r, (v, c) => v * (1 + sev * [0.25, -0.2, -0.55][c]));
    }
  }
}

function toBytes(p: Part): Uint8Array {
  const out = new Uint8Array(p.rgb.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(p.rgb[i])));
  return out;
}

async function writePng(file: string, data: Uint8Array, size: number, channels: 1 | 3): Promise<void> {
  await sharp(data, { raw: { width: size, height: size, channels } }).png().toFile(file);
}

const DEFAULTS: Required<SyntheticOptions> = { seed: 7, size: 256, train: 60, testGood: 16, perDefect: 8 };

export function syntheticName(opts: SyntheticOptions = {}): string {
  const o = { ...DEFAULTS, ...opts };
  return `washers-v2-s${o.seed}-${o.size}px-${o.train}-${o.testGood}-${o.perDefect}`;
}

/**
 * Writes the dataset into `dir` (created through a temp sibling renamed into place) unless it is already complete.
 * Returns the dataset folder.
 */
export async function generateSynthetic(dir: string, opts: SyntheticOptions = {}): Promise<string> {
  const o = { ...DEFAULTS, ...opts };
  if (existsSync(path.join(dir, '.complete'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const rand = rng(o.seed);
  const write = async (rel: string, p: Part, withMask: boolean) => {
    const file = path.join(tmp, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    await writePng(file, toBytes(p), p.size, 3);
    if (withMask) {
      const [split, kind, name] = rel.split('/');
      void split;
      const m = path.join(tmp, 'ground_truth', kind, name.replace(/\.png$/, '_mask.png'));
      mkdirSync(path.dirname(m), { recursive: true });
      await writePng(m, p.mask, p.size, 1);
    }
  };
  const pad = (i: number) => String(i).padStart(3, '0');
  for (let i = 0; i < o.train; i++) await write(`train/good/${pad(i)}.png`, goodPart(o.size, rand), false);
  for (let i = 0; i < o.testGood; i++) await write(`test/good/${pad(i)}.png`, goodPart(o.size, rand), false);
  for (const kind of DEFECT_KINDS) {
    for (let i = 0; i < o.perDefect; i++) {
      const p = goodPart(o.size, rand);
      addDefect(p, kind, rand);
      await write(`test/${kind}/${pad(i)}.png`, p, true);
    }
  }
  writeFileSync(path.join(tmp, 'README.txt'), `Synthetic PatchLine demo data (${syntheticName(o)}), generated by electron/engine/data/synthetic.ts.\n`);
  writeFileSync(path.join(tmp, '.complete'), '');
  mkdirSync(path.dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}
