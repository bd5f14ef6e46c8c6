// Per-region overlap (PRO), integrated to an FPR limit, as the MVTec AD evaluation code computes it: 8-connected
// ground-truth regions; FPR over every defect-free pixel of the category; PRO averaged over all regions; curve points
// at each distinct score; trapezoid to the limit with linear interpolation there; divided by the limit.
import { argsort } from '../../../shared/argsort';
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

/**
 * Pixel AUROC and AUPRO over all pixels of a category. `scores` holds every map back to back (n × plane floats);
 * `masks` the matching 0/1 ground truth.
 */
export function pixelMetrics(scores: Float32Array, masks: Uint8Array, width: number, height: number, limit = 0.3): PixelMetrics {
  const plane = width * height;
  if (scores.length !== masks.length || scores.length % plane !== 0) {
    throw new Error(`pixel metrics need matching maps and masks of ${width}×${height}: ${scores.length} scores, ${masks.length} mask pixels`);
  }
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
  let tp = 0;
  let fp = 0;
  let area = 0;
  let pro = 0;
  const fprs = [0];
  const pros = [0];
  forEachTieGroup(scores, masks, order, (_s, gp, gn, from, to) => {
    for (let k = from; k < to; k++) pro += proInc[order[k]];
    area += gn * (tp + gp / 2);
    tp += gp;
    fp += gn;
    const fpr = okPixels ? fp / okPixels : 0;
    // Points past the limit add nothing but the interpolation end point.
    if (fprs[fprs.length - 1] <= limit) {
      fprs.push(Math.min(1, fpr));
      pros.push(regions ? Math.min(1, pro / regions) : 0);
    }
  });
  const pixelAuroc = defectPixels && okPixels ? area / (defectPixels * okPixels) : null;
  const aupro = regions ? trapezoid(fprs, pros, limit) / limit : null;
  const step = Math.max(1, Math.floor(fprs.length / 500));
  const proCurve = { fpr: fprs.filter((_, k) => k % step === 0), pro: pros.filter((_, k) => k % step === 0) };
  return { pixelAuroc, aupro, regions, proCurve };
}
