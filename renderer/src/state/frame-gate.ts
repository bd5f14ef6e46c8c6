// Decides, for each camera frame, whether to score it or drop it: at most `maxInFlight` frames are out at once, so a
// camera faster than the engine loses frames instead of building an unbounded queue (and growing latency).
export class FrameGate {
  private inFlight = 0;
  offered = 0;
  dropped = 0;

  constructor(private readonly maxInFlight = 2) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
  }

  get pending(): number {
    return this.inFlight;
  }

  /** True: the caller sends the frame and must call release() when it is answered. False: drop it. */
  tryAcquire(): boolean {
    this.offered++;
    if (this.inFlight >= this.maxInFlight) {
      this.dropped++;
      return false;
    }
    this.inFlight++;
    return true;
  }

  release(): void {
    if (this.inFlight > 0) this.inFlight--;
  }
}

/** Interval between scored frames for a rate in frames per second (clamped to 1..60). */
export function frameIntervalMs(fps: number): number {
  const f = Math.min(60, Math.max(1, Number.isFinite(fps) ? fps : 1));
  return 1000 / f;
}
