// A renderer that crashes (or is killed by the OS) leaves a blank window on a line where nobody has a keyboard at hand.
// It is reloaded, at most `max` times in `windowMs`: a page that crashes on load would otherwise reload forever, so
// past the limit it stays down and says so in the log (and on screen, through the error page main shows).
export interface ReloadDecision {
  reload: boolean;
  /** The log line for this event. */
  message: string;
}

export class ReloadLimiter {
  private readonly times: number[] = [];

  constructor(
    private readonly max = 3,
    private readonly windowMs = 60_000,
  ) {}

  onGone(reason: string, exitCode: number, now = Date.now()): ReloadDecision {
    // A clean exit is the window closing, not a crash.
    if (reason === 'clean-exit') return { reload: false, message: `renderer exited cleanly (code ${exitCode})` };
    while (this.times.length && now - this.times[0] > this.windowMs) this.times.shift();
    if (this.times.length >= this.max) {
      return {
        reload: false,
        message: `renderer gone (${reason}, code ${exitCode}): ${this.times.length} reloads in the last ${Math.round(this.windowMs / 1000)} s, not reloading again`,
      };
    }
    this.times.push(now);
    return { reload: true, message: `renderer gone (${reason}, code ${exitCode}): reloading (${this.times.length}/${this.max} in ${Math.round(this.windowMs / 1000)} s)` };
  }
}
