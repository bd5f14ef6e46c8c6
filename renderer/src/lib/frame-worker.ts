// A Web Worker that turns camera frames into JPEG bytes for inspection, so that scaling, colour conversion and encoding
// never touch the window's main thread. Where the browser has MediaStreamTrackProcessor, the camera's frames stream
// straight into this worker (the main thread does nothing per frame); elsewhere the main thread sends an ImageBitmap.
// A compressed frame is ~20× smaller than raw pixels, so it also crosses the channel cheaply.
export type FrameRequest =
  | { type: 'attach'; readable: ReadableStream<VideoFrame> }
  | { type: 'detach' }
  | { type: 'grab'; id: number; bitmap: ImageBitmap | null; maxSide: number; quality: number };

export type FrameReply =
  | { id: number; ok: true; jpeg: ArrayBuffer; width: number; height: number; display: ImageBitmap }
  | { id: number; ok: false; error: string };

interface WorkerScope {
  onmessage: ((e: MessageEvent<FrameRequest>) => void) | null;
  postMessage(message: FrameReply, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
let canvas: OffscreenCanvas | null = null;
let latest: VideoFrame | null = null;
let reader: ReadableStreamDefaultReader<VideoFrame> | null = null;

async function pump(r: ReadableStreamDefaultReader<VideoFrame>): Promise<void> {
  // Keep only the newest frame: older ones are closed at once, so the camera never backs up.
  for (;;) {
    const { value, done } = await r.read().catch(() => ({ value: undefined, done: true }));
    if (done || !value) break;
    if (reader !== r) {
      value.close();
      break;
    }
    latest?.close();
    latest = value;
  }
}

function detach(): void {
  void reader?.cancel().catch(() => undefined);
  reader = null;
  latest?.close();
  latest = null;
}

async function grab(id: number, source: CanvasImageSource & { width?: number }, w: number, h: number, maxSide: number, quality: number) {
  const scale = Math.min(1, maxSide / Math.max(w, h));
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  if (!canvas || canvas.width !== width || canvas.height !== height) canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D context in the frame worker');
  ctx.drawImage(source, 0, 0, width, height);
  const blob = canvas.convertToBlob({ type: 'image/jpeg', quality });
  const display = canvas.transferToImageBitmap();
  const jpeg = await (await blob).arrayBuffer();
  scope.postMessage({ id, ok: true, jpeg, width, height, display }, [jpeg, display]);
}

scope.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === 'attach') {
    detach();
    reader = msg.readable.getReader();
    void pump(reader);
    return;
  }
  if (msg.type === 'detach') {
    detach();
    return;
  }
  const { id, bitmap, maxSide, quality } = msg;
  try {
    if (bitmap) {
      await grab(id, bitmap, bitmap.width, bitmap.height, maxSide, quality);
      bitmap.close();
    } else if (latest) {
      await grab(id, latest, latest.displayWidth, latest.displayHeight, maxSide, quality);
    } else {
      scope.postMessage({ id, ok: false, error: 'no camera frame yet' }, []);
    }
  } catch (err) {
    bitmap?.close();
    scope.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) }, []);
  }
};
