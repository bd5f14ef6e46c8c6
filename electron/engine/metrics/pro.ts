// Per-region overlap (PRO), integrated to an FPR limit, as the MVTec AD evaluation code computes it: 8-connected
// ground-truth regions; FPR over every defect-free pixel of the category; PRO averaged over all regions; curve points
// at each distinct score; trapezoid to the limit with linear interpolation there; divided by the limit.
import { argsort, orderKey } from '../../../shared/argsort';
import { forEachTieGroup } from '../../../shared/roc';

/** 8-connected components of a binary mask. labels: 0 = background, 1..count = region. */
export function labelRegions(mask: Uint8Array, width: number, height: number): { labels: Int32Array; count: number; sizes: number[] } {
  const parent: number[] = [0];
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]];
      a = parent[a];
    }
    return a;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const labels = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      // Already-visited 8-neighbours: W, NW, N, NE.
      const nbrs: number[] = [];
      if (x > 0 && labels[i - 1]) nbrs.push(labels[i - 1]);
      if (y > 0) {
        const up = i - width;
        if (x > 0 && labels[up - 1]) nbrs.push(labels[up - 1]);
        if (labels[up]) nbrs.push(labels[up]);
        if (x < width - 1 && labels[up + 1]) nbrs.push(labels[up + 1]);
      }
      if (nbrs.length === 0) {
        parent.push(parent.length);
        labels[i] = parent.length - 1;
      } else {
        const l = Math.min(...nbrs);
        labels[i] = l;
        for (const o of nbrs) union(l, o);
      }
    }
  }
  const remap = new Map<number, number>();
  const sizes: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const root = find(labels[i]);
    let id = remap.get(root);
    if (id === undefined) {
      id = remap.size + 1;
      remap.set(root, id);
      sizes.push(0);
    }
    labels[i] = id;
    sizes[id - 1]++;
  }
  return { labels, count: remap.size, sizes };
}

/** ∫₀^xMax y dx by trapezoids over points sorted by x, interpolating y at xMax (MVTec's generic_util.trapezoid). */
export function trapezoid(x: number[], y: number[], xMax: number): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) {
    if (x[i] <= xMax) {
      area += 0.5 * (y[i] + y[i - 1]) * (x[i] - x[i - 1]);
      continue;
    }
    if (x[i - 1] < xMax) {
      const yi = y[i - 1] + ((y[i] - y[i - 1]) * (xMax - x[i - 1])) / (x[i] - x[i - 1]);
      area += 0.5 * (yi + y[i - 1]) * (xMax - x[i - 1]);
    }
    break;
  }
  return area;
}

export interface PixelMetrics {
  /** Null without defect pixels or without defect-free ones. */
  pixelAuroc: number | null;
  /** Null without a defect region. */
  aupro: number | null;
  regions: number;
  /** The PRO curve up to the limit (thinned), for reports. */
  proCurve: { fpr: number[]; pro: number[] };
}

/** Region sizes the accumulator's code keeps exactly: the low 21 bits of a float64 under a 32-bit score key. */
const SIZE_BITS = 2 ** 21;

/**
 * Pixel AUROC and AUPRO gathered image by image: a defect-free pixel as its float32 score (4 bytes), a defect pixel
 * as one float64 holding its score's order key (32 bits) above the size of its ground-truth region (21 bits); both
 * sorted once at the end and walked together from the top. The same figures as sorting the maps themselves, without
 * holding the maps and masks and the four index arrays of the sort (about 20 bytes per pixel more: 584 MB for
 * magnetic tile's 582 maps of 224², the peak of bench:engine). Maps of 2^21 pixels or more (above ~1448²) do not fit
 * the code: use pixelMetrics on them.
 */
export class PixelMetricsAccumulator {
  private readonly ok: Float32Array;
  private defect = new Float64Array(1024);
  private readonly bits = new Uint32Array(1);
  private readonly asFloat = new Float32Array(this.bits.buffer);
  private images = 0;
  private regions = 0;
  private okPixels = 0;
  private defectPixels = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly capacity: number,
  ) {
    if (width * height >= SIZE_BITS) throw new RangeError(`maps of ${width}×${height} are too large for the pixel-metrics accumulator (at most ${SIZE_BITS - 1} pixels)`);
    this.ok = new Float32Array(width * height * capacity);
  }

  /** The order key of a float32 score: unsigned order equals float order. */
  private keyOf(v: number): number {
    this.asFloat[0] = v;
    return orderKey(this.bits[0]);
  }

  /** One map and its 0/1 mask (null: a defect-free image). */
  add(map: Float32Array, mask: Uint8Array | null): void {
    const plane = this.width * this.height;
    if (map.length !== plane || (mask && mask.length !== plane)) {
      throw new Error(`pixel metrics need maps and masks of ${this.width}×${this.height}: ${map.length} scores, ${mask?.length ?? 0} mask pixels`);
    }
    if (this.images >= this.capacity) throw new RangeError(`the accumulator holds ${this.capacity} maps`);
    const region = mask ? labelRegions(mask, this.width, this.height) : null;
    if (region) this.regions += region.count;
    for (let i = 0; i < plane; i++) {
      const v = map[i];
      if (Number.isNaN(v)) throw new Error(`score ${this.images * plane + i} is NaN`);
      const l = region ? region.labels[i] : 0;
      // -0 and +0 are one score (the tie walk compares with ===).
      if (!l) {
        this.ok[this.okPixels++] = v === 0 ? 0 : v;
        continue;
      }
      if (this.defectPixels === this.defect.length) {
        const grown = new Float64Array(this.defect.length * 2);
        grown.set(this.defect);
        this.defect = grown;
      }
      this.defect[this.defectPixels++] = this.keyOf(v === 0 ? 0 : v) * SIZE_BITS + region!.sizes[l - 1];
    }
    this.images++;
  }

  result(limit = 0.3): PixelMetrics {
    const ok = this.ok.subarray(0, this.okPixels).sort();
    const defect = this.defect.subarray(0, this.defectPixels).sort();
    const sweep = new Sweep(this.defectPixels, this.okPixels, this.regions, limit);
    // Highest score first, one group of equal keys at a time, from both lists.
    let i = ok.length - 1;
    let j = defect.length - 1;
    while (i >= 0 || j >= 0) {
      const key = Math.max(i >= 0 ? this.keyOf(ok[i]) : -1, j >= 0 ? Math.floor(defect[j] / SIZE_BITS) : -1);
      let gn = 0;
      while (i >= 0 && this.keyOf(ok[i]) === key) {
        gn++;
        i--;
      }
      let gp = 0;
      let pro = 0;
      while (j >= 0 && Math.floor(defect[j] / SIZE_BITS) === key) {
        gp++;
        pro += 1 / (defect[j] - key * SIZE_BITS);
        j--;
      }
      sweep.group(gp, gn, pro);
    }
    return sweep.finish();
  }
}

/** The threshold walk both pixel-metric paths share: one call per group of tied scores, highest first. */
class Sweep {
  private tp = 0;
  private fp = 0;
  private area = 0;
  private pro = 0;
  private readonly fprs = [0];
  private readonly pros = [0];

  constructor(
    private readonly defectPixels: number,
    private readonly okPixels: number,
    private readonly regions: number,
    private readonly limit: number,
  ) {}

  /** gp defect and gn defect-free pixels at one score; pro: the group's PRO increments. */
  group(gp: number, gn: number, pro: number): void {
    this.pro += pro;
    this.area += gn * (this.tp + gp / 2);
    this.tp += gp;
    this.fp += gn;
    const fpr = this.okPixels ? this.fp / this.okPixels : 0;
    // Points past the limit add nothing but the interpolation end point.
    if (this.fprs[this.fprs.length - 1] <= this.limit) {
      this.fprs.push(Math.min(1, fpr));
      this.pros.push(this.regions ? Math.min(1, this.pro / this.regions) : 0);
    }
  }

  finish(): PixelMetrics {
    const { fprs, pros, limit } = this;
    const pixelAuroc = this.defectPixels && this.okPixels ? this.area / (this.defectPixels * this.okPixels) : null;
    const aupro = this.regions ? trapezoid(fprs, pros, limit) / limit : null;
    const step = Math.max(1, Math.floor(fprs.length / 500));
    const proCurve = { fpr: fprs.filter((_, k) => k % step === 0), pro: pros.filter((_, k) => k % step === 0) };
    return { pixelAuroc, aupro, regions: this.regions, proCurve };
  }
}

/**
 * Pixel AUROC and AUPRO over all pixels of a category. `scores` holds every map back to back (n × plane floats);
 * `masks` the matching 0/1 ground truth. Through the accumulator where the maps fit it (8 bytes per pixel), else
 * by sorting the scores themselves.
 */
export function pixelMetrics(scores: Float32Array, masks: Uint8Array, width: number, height: number, limit = 0.3): PixelMetrics {
  const plane = width * height;
  if (scores.length !== masks.length || scores.length % plane !== 0) {
    throw new Error(`pixel metrics need matching maps and masks of ${width}×${height}: ${scores.length} scores, ${masks.length} mask pixels`);
  }
  if (plane < SIZE_BITS) {
    const acc = new PixelMetricsAccumulator(width, height, scores.length / plane);
    for (let off = 0; off < scores.length; off += plane) acc.add(scores.subarray(off, off + plane), masks.subarray(off, off + plane));
    return acc.result(limit);
  }
  return sortedPixelMetrics(scores, masks, width, height, limit);
}

/** pixelMetrics by an argsort of the scores: 20 bytes per pixel beside the maps, for maps too large to encode. */
export function sortedPixelMetrics(scores: Float32Array, masks: Uint8Array, width: number, height: number, limit = 0.3): PixelMetrics {
  const plane = width * height;
  // Per pixel: the PRO increment (1 / region size) for defect pixels; defect-free pixels step the FPR.
  const proInc = new Float32Array(scores.length);
  let regions = 0;
  let okPixels = 0;
  let defectPixels = 0;
  for (let off = 0; off < scores.length; off += plane) {
    const m = masks.subarray(off, off + plane);
    const { labels, count, sizes } = labelRegions(m, width, height);
    regions += count;
    for (let i = 0; i < plane; i++) {
      const l = labels[i];
      if (l) {
        proInc[off + i] = 1 / sizes[l - 1];
        defectPixels++;
      } else okPixels++;
    }
  }
  const order = argsort(scores);
  const sweep = new Sweep(defectPixels, okPixels, regions, limit);
  forEachTieGroup(scores, masks, order, (_s, gp, gn, from, to) => {
    let pro = 0;
    for (let k = from; k < to; k++) pro += proInc[order[k]];
    sweep.group(gp, gn, pro);
  });
  return sweep.finish();
}
