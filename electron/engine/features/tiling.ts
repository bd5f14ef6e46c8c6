// Tiling of high-resolution parts: the image is cut into overlapping tiles, each tile is one network input (through
// the model's own resize mode), and the tile maps are stitched back into one map of the whole image. A defect of a few
// pixels that a single 224 px input would shrink below one patch keeps its size relative to the patch grid.
import { readFile } from 'node:fs/promises';
import type { AnomalyMap, TilingSpec } from '../api';
import { mapToOriginal } from '../score/anomaly-map';
import { imageSize, preprocess, viewRect, type Geometry, type ImageSource, type Preprocessed, type PreprocessSpec } from '../image/preprocess';

/** `cols × rows` tiles over the whole image, or tiles of `size` px stepping by size − overlap. */
export type Tiling = TilingSpec;

/** A tile in original image pixels. */
export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** "2x2" (grid) or "512" (tile side), with an optional overlap in pixels. */
export function parseTiling(spec: string, overlap = 0): Tiling {
  if (!(Number.isInteger(overlap) && overlap >= 0)) throw new Error(`tile overlap must be a non-negative integer, got ${overlap}`);
  const grid = /^(\d+)x(\d+)$/i.exec(spec.trim());
  if (grid) {
    const cols = Number(grid[1]);
    const rows = Number(grid[2]);
    if (cols < 1 || rows < 1) throw new Error(`tile grid must be at least 1x1, got ${spec}`);
    return { kind: 'grid', cols, rows, overlap };
  }
  if (/^\d+$/.test(spec.trim())) {
    const size = Number(spec);
    if (size < 16) throw new Error(`tile size must be at least 16 px, got ${spec}`);
    if (overlap >= size) throw new Error(`tile overlap (${overlap}) must be smaller than the tile size (${size})`);
    return { kind: 'size', size, overlap };
  }
  throw new Error(`a tiling is COLSxROWS (e.g. 2x2) or a tile size in pixels (e.g. 512), got "${spec}"`);
}

/** Checks a tiling given as an object (the engine API's FitOptions.tile). */
export function checkTiling(t: Tiling): Tiling {
  if (t.kind === 'grid') return parseTiling(`${t.cols}x${t.rows}`, t.overlap);
  if (t.kind === 'size') return parseTiling(String(t.size), t.overlap);
  throw new Error(`tile must be a grid or a tile size, got ${JSON.stringify(t)}`);
}

export function describeTiling(t: Tiling): string {
  return t.kind === 'grid' ? `${t.cols}x${t.rows} tiles, overlap ${t.overlap} px` : `${t.size} px tiles, overlap ${t.overlap} px`;
}

/** n starts of tiles of `len` spread evenly over `total` (first at 0, last ending at total). */
function starts(total: number, len: number, n: number): number[] {
  if (n === 1) return [Math.floor((total - len) / 2)];
  return Array.from({ length: n }, (_, i) => Math.round((i * (total - len)) / (n - 1)));
}

/** The tiles of a width × height image; refuses a tiling that does not fit, naming tile and image sizes. */
export function tilesFor(width: number, height: number, t: Tiling): Tile[] {
  let tw: number, th: number, nx: number, ny: number;
  if (t.kind === 'grid') {
    nx = t.cols;
    ny = t.rows;
    tw = Math.ceil((width + (nx - 1) * t.overlap) / nx);
    th = Math.ceil((height + (ny - 1) * t.overlap) / ny);
    if (tw > width || th > height || tw <= t.overlap || th <= t.overlap || tw < 16 || th < 16) {
      throw new Error(`tiling ${describeTiling(t)} does not fit the ${width}×${height} image: tiles would be ${tw}×${th} px (at least 16 px, larger than the overlap, within the image)`);
    }
  } else {
    tw = th = t.size;
    if (t.size > width || t.size > height) throw new Error(`tile size ${t.size}×${t.size} px does not fit the ${width}×${height} image; choose a tile size of at most ${Math.min(width, height)} px`);
    const step = t.size - t.overlap;
    nx = Math.max(1, Math.ceil((width - t.overlap) / step));
    ny = Math.max(1, Math.ceil((height - t.overlap) / step));
  }
  const xs = starts(width, tw, nx);
  const ys = starts(height, th, ny);
  return ys.flatMap((y) => xs.map((x) => ({ x, y, width: tw, height: th })));
}

/**
 * The stitched map's size: the whole image at the scale one tile's input sees it (nothing finer exists in any tile's
 * map), so memory follows the tiling, not the camera's resolution.
 */
export function stitchedSize(width: number, height: number, tile: Tile, inputSize: number): { width: number; height: number; scale: number } {
  const scale = Math.min(1, inputSize / Math.max(tile.width, tile.height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
}

/**
 * Tile maps (each in its tile's network-input frame, `geometry` its preprocessing of the tile) stitched into one map
 * of the whole image at `out` size. Overlaps take the maximum: a defect near one tile's edge is seen with less context
 * there and fully inside the neighbouring tile; the mean would halve it by the weaker view, the maximum keeps the
 * stronger one and makes the map's maximum agree with the image score (the maximum over tiles).
 */
export function stitchMaps(
  parts: { tile: Tile; map: AnomalyMap; geometry: Geometry }[],
  image: { width: number; height: number },
  out: { width: number; height: number },
): AnomalyMap {
  const data = new Float32Array(out.width * out.height).fill(-Infinity);
  const sx = image.width / out.width;
  const sy = image.height / out.height;
  for (const { tile, map, geometry } of parts) {
    // The tile's map on the tile's own pixels, then sampled at each output pixel the tile covers.
    const own = mapToOriginal(map, geometry);
    const x0 = Math.ceil(tile.x / sx - 0.5);
    const x1 = Math.floor((tile.x + tile.width) / sx - 0.5);
    const y0 = Math.ceil(tile.y / sy - 0.5);
    const y1 = Math.floor((tile.y + tile.height) / sy - 0.5);
    for (let y = Math.max(0, y0); y <= Math.min(out.height - 1, y1); y++) {
      const ty = Math.min(tile.height - 1, Math.max(0, Math.floor((y + 0.5) * sy - tile.y)));
      for (let x = Math.max(0, x0); x <= Math.min(out.width - 1, x1); x++) {
        const tx = Math.min(tile.width - 1, Math.max(0, Math.floor((x + 0.5) * sx - tile.x)));
        const v = own.data[ty * tile.width + tx];
        const i = y * out.width + x;
        if (v > data[i]) data[i] = v;
      }
    }
  }
  // Tiles cover the image, so only rounding at the very edge can leave a pixel unset: take its neighbour's value.
  for (let i = 0; i < data.length; i++) if (data[i] === -Infinity) data[i] = i > 0 ? data[i - 1] : 0;
  return { width: out.width, height: out.height, data };
}

/** An image's tiles, each preprocessed as a network input of its own. */
export interface TiledImage {
  width: number;
  height: number;
  tiles: { tile: Tile; pre: Preprocessed }[];
}

export async function preprocessTiles(src: ImageSource, spec: PreprocessSpec, t: Tiling): Promise<TiledImage> {
  // A file is read once; every tile decodes from the same bytes.
  const bytes = typeof src === 'string' ? new Uint8Array(await readFile(src)) : src;
  const { width, height } = await imageSize(bytes);
  const tiles = tilesFor(width, height, t);
  const pres = await Promise.all(tiles.map((tile) => preprocess(bytes, spec, { left: tile.x, top: tile.y, width: tile.width, height: tile.height })));
  return { width, height, tiles: tiles.map((tile, i) => ({ tile, pre: pres[i] })) };
}

/** The part of the image each tile's network input shows, in original pixels (for the cut-out count). */
export function tileViews(img: TiledImage): { x0: number; y0: number; x1: number; y1: number }[] {
  return img.tiles.map(({ tile, pre }) => {
    const v = viewRect(pre.geometry);
    return { x0: v.x0 + tile.x, y0: v.y0 + tile.y, x1: v.x1 + tile.x, y1: v.y1 + tile.y };
  });
}
