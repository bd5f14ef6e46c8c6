// A part's inspection, as the workstation shows and records it: the model's prediction, with the anomaly map placed
// on the part's own frame and quantised on the threshold scale (shared/heatmap.ts). Shared by every Model (SourceModel).
import { mapOntoImage, quantizeMap } from '../../../shared/heatmap';
import type { AnomalyMap, ImageInput, Inspection, InspectOptions, Model, Prediction, RawImage } from '../api';

/** What a model scores: a path, encoded bytes or raw pixels. */
export type ImageSource = string | Uint8Array | RawImage;

export function sourceOf(input: ImageInput): ImageSource {
  return input.kind === 'raw' ? input.image : input.kind === 'encoded' ? input.bytes : input.path;
}

/**
 * The part of every Model that follows from scoring one image source: the three predict calls and the inspection.
 * A model implements predictSource and mapToSize.
 */
export abstract class SourceModel implements Pick<Model, 'predictFile' | 'predictBuffer' | 'predictRaw' | 'inspect' | 'mapToSize'> {
  protected abstract predictSource(src: ImageSource): Promise<Prediction>;
  abstract mapToSize(map: AnomalyMap, width: number, height: number): AnomalyMap;

  predictFile(file: string): Promise<Prediction> {
    return this.predictSource(file);
  }

  predictBuffer(encoded: Uint8Array): Promise<Prediction> {
    return this.predictSource(encoded);
  }

  predictRaw(image: RawImage): Promise<Prediction> {
    return this.predictSource(image);
  }

  async inspect(input: ImageInput, o: InspectOptions): Promise<Inspection> {
    return inspection(await this.predictSource(sourceOf(input)), o, (map, w, h) => this.mapToSize(map, w, h));
  }
}

/** Width and height with the image's aspect and the given long side (never larger than the image). */
export function aspectSize(size: { width: number; height: number }, longSide: number): [number, number] {
  const scale = Math.min(1, longSide / Math.max(size.width, size.height));
  return [Math.max(1, Math.round(size.width * scale)), Math.max(1, Math.round(size.height * scale))];
}

/** A prediction as the line records it: the map placed on the part's own frame and quantised on the threshold scale. */
export function inspection(p: Prediction, o: InspectOptions, mapToSize: Model['mapToSize']): Inspection {
  const size = o.imageSize ?? (p.crop ? { width: p.crop.imageWidth, height: p.crop.imageHeight } : p.map);
  const [hw, hh] = aspectSize(size, o.heatmapMax);
  // Onto the part's own frame (the map covers only the engine's centre crop) at twice the heatmap's size (about the
  // map's own resolution: it is blurred, nothing finer exists), then max-pooled down so a peak survives.
  const [mw, mh] = aspectSize(size, o.heatmapMax * 2);
  const onImage = p.crop ? mapOntoImage(p.map, p.crop, mw, mh) : mapToSize(p.map, mw, mh).data;
  return {
    score: p.score,
    normalizedScore: p.normalizedScore,
    threshold: p.threshold,
    verdict: p.verdict,
    timings: { ...p.timings },
    heatmap: quantizeMap(onImage, mw, mh, p.threshold, hw, hh),
    heatmapWidth: hw,
    heatmapHeight: hh,
    imageWidth: size.width,
    imageHeight: size.height,
  };
}
