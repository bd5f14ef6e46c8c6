// Writes a .y4m video (YUV 4:2:0) from real images, for Chromium's fake camera
// (--use-fake-device-for-media-stream --use-file-for-fake-video-capture=FILE). Chromium loops the file.
import { open } from 'node:fs/promises';
import sharp from 'sharp';

export interface Y4mOptions {
  width: number;
  height: number;
  fps: number;
  /** Frames each image is held for. */
  framesPerImage: number;
}

/** BT.601 full-range RGB → I420, 2×2 chroma averaging. */
export function rgbToI420(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const ySize = width * height;
  const cw = width >> 1;
  const ch = height >> 1;
  const out = new Uint8Array(ySize + 2 * cw * ch);
  for (let i = 0; i < ySize; i++) {
    const r = rgb[i * 3];
    const g = rgb[i * 3 + 1];
    const b = rgb[i * 3 + 2];
    out[i] = Math.min(255, Math.max(0, Math.round(0.299 * r + 0.587 * g + 0.114 * b)));
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]) {
        const p = ((y * 2 + dy) * width + (x * 2 + dx)) * 3;
        r += rgb[p];
        g += rgb[p + 1];
        b += rgb[p + 2];
      }
      r /= 4;
      g /= 4;
      b /= 4;
      const u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
      const v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
      out[ySize + y * cw + x] = Math.min(255, Math.max(0, Math.round(u)));
      out[ySize + cw * ch + y * cw + x] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return out;
}

export async function writeY4m(file: string, images: string[], opts: Y4mOptions): Promise<number> {
  const { width, height, fps, framesPerImage } = opts;
  if (width % 2 || height % 2) throw new RangeError('y4m 4:2:0 needs even width and height');
  const fh = await open(file, 'w');
  let frames = 0;
  try {
    await fh.write(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
    for (const img of images) {
      const rgb = await sharp(img).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'fill' }).raw().toBuffer();
      const yuv = rgbToI420(new Uint8Array(rgb), width, height);
      for (let i = 0; i < framesPerImage; i++) {
        await fh.write('FRAME\n');
        await fh.write(yuv);
        frames++;
      }
    }
  } finally {
    await fh.close();
  }
  return frames;
}
