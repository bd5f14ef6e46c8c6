// A part's inspection, as the workstation shows and records it: the model's prediction, with the anomaly map placed
// on the part's own frame and quantised on the threshold scale (shared/heatmap.ts). Shared by every Model.
import { mapOntoImage, quantizeMap } from '../../../shared/heatmap';
import type { ImageInput, Inspection, InspectOptions, Model, Prediction } from '../api';

type Predicts = Pick<Model, 'predictFile' | 'predictBuffer' | 'predictRaw'>;

export function predictInput(model: Predicts, input: ImageInput): Promise<Prediction> {
  switch (input.kind) {
    case 'raw':
      return model.predictRaw(input.image);
    case 'encoded':
      return model.predictBuffer(input.bytes);
    case 'file':
      return model.predictFile(input.path);
  }
}

/** Width and height with the image's aspect and the given long side (never larger than the image). */
export function aspectSize(size: { width: number; height: number }, longSide: number): [number, number] {
  const scale = Math.min(1, longSide / Math.max(size.width, size.height));
  return [Math.max(1, Math.round(size.width * scale)), Math.max(1, Math.round(size.height * scale))];
}

export async function inspectPart(model: Predicts & Pick<Model, 'mapToSize'>, input: ImageInput, o: InspectOptions): Promise<Inspection> {
  const p = await predictInput(model, input);
  const size = o.imageSize ?? (p.crop ? { width: p.crop.imageWidth, height: p.crop.imageHeight } : p.map);
  const [hw, hh] = aspectSize(size, o.heatmapMax);
  // Onto the part's own frame (the map covers only the engine's centre crop) at twice the heatmap's size (about the
  // map's own resolution: it is blurred, nothing finer exists), then max-pooled down so a peak survives.
  const [mw, mh] = aspectSize(size, o.heatmapMax * 2);
  const onImage = p.crop ? mapOntoImage(p.map, p.crop, mw, mh) : model.mapToSize(p.map, mw, mh).data;
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
