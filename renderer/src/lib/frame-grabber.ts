// Grabs camera frames as JPEG bytes through the frame worker. With MediaStreamTrackProcessor the camera streams into the
// worker and the main thread does nothing per frame; without it, the main thread snapshots the video into a bitmap;
// without workers at all, everything happens here (slow, but it works).
import type { FrameReply, FrameRequest } from './frame-worker';

export interface GrabbedFrame {
  jpeg: Uint8Array;
  width: number;
  height: number;
  bitmap: ImageBitmap;
}

/** Near-lossless: the engine sees the part as the camera did, at a fraction of the bytes of raw pixels. */
export const JPEG_QUALITY = 0.92;

/** Chromium's breakout-box API; not in TypeScript's DOM library yet. */
type TrackProcessorCtor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => { readable: ReadableStream<VideoFrame> };

function trackProcessor(): TrackProcessorCtor | null {
  const ctor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorCtor }).MediaStreamTrackProcessor;
  return typeof ctor === 'function' ? ctor : null;
}

export class FrameGrabber {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (r: FrameReply) => void>();
  private streaming = false;
  private fallback: HTMLCanvasElement | null = null;

  constructor(private readonly maxSide: number) {
    if (typeof Worker !== 'undefined' && typeof OffscreenCanvas !== 'undefined') {
      try {
        this.worker = new Worker(new URL('./frame-worker.ts', import.meta.url), { type: 'module', name: 'patchline-frames' });
        this.worker.onmessage = (e: MessageEvent<FrameReply>) => {
          const resolve = this.pending.get(e.data.id);
          this.pending.delete(e.data.id);
          resolve?.(e.data);
        };
      } catch {
        this.worker = null;
      }
    }
  }

  /** Streams the camera's frames into the worker where the browser allows it. */
  attach(stream: MediaStream | null): void {
    const Processor = trackProcessor();
    const track = stream?.getVideoTracks()[0];
    if (!this.worker) return;
    if (!track || !Processor) {
      if (this.streaming) this.worker.postMessage({ type: 'detach' } satisfies FrameRequest);
      this.streaming = false;
      return;
    }
    try {
      // Its own clone of the track: stopping the stream ends it too, and the preview is unaffected.
      const readable = new Processor({ track: track.clone(), maxBufferSize: 2 }).readable;
      this.worker.postMessage({ type: 'attach', readable } satisfies FrameRequest, [readable as unknown as Transferable]);
      this.streaming = true;
    } catch {
      this.streaming = false;
    }
  }

  async grab(video: HTMLVideoElement): Promise<GrabbedFrame | null> {
    if (video.readyState < 2 || !video.videoWidth) return null;
    if (!this.worker) return this.grabHere(video);
    const bitmap = this.streaming ? null : await createImageBitmap(video);
    const id = this.nextId++;
    const reply = await new Promise<FrameReply>((resolve) => {
      this.pending.set(id, resolve);
      const msg: FrameRequest = { type: 'grab', id, bitmap, maxSide: this.maxSide, quality: JPEG_QUALITY };
      this.worker!.postMessage(msg, bitmap ? [bitmap] : []);
    });
    if (!reply.ok) {
      if (reply.error === 'no camera frame yet') return null;
      throw new Error(`Frame capture failed: ${reply.error}`);
    }
    return { jpeg: new Uint8Array(reply.jpeg), width: reply.width, height: reply.height, bitmap: reply.display };
  }

  private async grabHere(v: HTMLVideoElement): Promise<GrabbedFrame | null> {
    const scale = Math.min(1, this.maxSide / Math.max(v.videoWidth, v.videoHeight));
    const width = Math.round(v.videoWidth * scale);
    const height = Math.round(v.videoHeight * scale);
    this.fallback ??= document.createElement('canvas');
    const c = this.fallback;
    if (c.width !== width) c.width = width;
    if (c.height !== height) c.height = height;
    const ctx = c.getContext('2d');
    if (!ctx) return null;
    ctx.drawImage(v, 0, 0, width, height);
    const bitmap = await createImageBitmap(c);
    const blob = await new Promise<Blob | null>((resolve) => c.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
    if (!blob) return null;
    return { jpeg: new Uint8Array(await blob.arrayBuffer()), width, height, bitmap };
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.pending.clear();
  }
}
