// The part with its heatmap overlay. Camera frames arrive as bitmaps; files and records as Blobs, decoded off the main
// thread (createImageBitmap). Redraws only when the part, the heatmap or the opacity changes.
import { useEffect, useRef, useState } from 'react';
import type { Heatmap } from '../../../shared/domain';
import type { PartImage } from '../state/slices/inspect';
import { drawPart, paintHeatmap } from '../lib/heatmap-canvas';

interface Props {
  image: PartImage | null;
  heatmap: Heatmap | null;
  opacity: number;
  size: { width: number; height: number };
  testId?: string;
}

export function PartView({ image, heatmap, opacity, size, testId }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [decoded, setDecoded] = useState<{ blob: Blob; bitmap: ImageBitmap } | null>(null);
  const heatCanvas = useRef<HTMLCanvasElement | null>(null);
  const blob = image?.kind === 'blob' ? image.blob : null;
  // Derived in render, so a new camera frame and its heatmap are always drawn together.
  const base = image?.kind === 'bitmap' ? image.bitmap : decoded && decoded.blob === blob ? decoded.bitmap : null;

  useEffect(() => {
    if (!blob) return;
    let alive = true;
    let made: ImageBitmap | null = null;
    createImageBitmap(blob)
      .then((bitmap) => {
        made = bitmap;
        if (alive) setDecoded({ blob, bitmap });
        else bitmap.close();
      })
      .catch(() => undefined);
    return () => {
      alive = false;
      made?.close();
    };
  }, [blob]);

  useEffect(() => {
    if (!canvas.current) return;
    // One reused canvas for the colourised heatmap: a part per frame must not cost a new canvas per frame.
    if (heatmap) heatCanvas.current = paintHeatmap(heatmap, heatCanvas.current ?? document.createElement('canvas'));
    drawPart(canvas.current, base, heatmap ? heatCanvas.current : null, opacity, size);
  }, [base, heatmap, opacity, size]);

  return <canvas ref={canvas} className="part-view" data-testid={testId} data-has-heatmap={heatmap ? 'yes' : 'no'} />;
}
