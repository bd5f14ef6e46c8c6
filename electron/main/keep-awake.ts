// A line PC must not sleep or blank its screen while it inspects. The blocker is held while the hot folder runs or
// parts were scored in the last `idleMs` (the camera in continuous or trigger mode), and released when both stop, so
// an idle workstation still sleeps as its power settings say.
export interface PowerBlocker {
  start(type: 'prevent-display-sleep' | 'prevent-app-suspension'): number;
  stop(id: number): void;
}

export interface KeepAwakeOptions {
  idleMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  log?: (m: string) => void;
}

export class KeepAwake {
  private id: number | null = null;
  private hotFolder = false;
  private lastPart = -Infinity;
  private timer: unknown = null;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;
  private readonly log: (m: string) => void;

  constructor(
    private readonly blocker: PowerBlocker,
    o: KeepAwakeOptions = {},
  ) {
    this.idleMs = o.idleMs ?? 60_000;
    this.now = o.now ?? Date.now;
    this.setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
    this.clearTimer = o.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
    this.log = o.log ?? (() => {});
  }

  get holding(): boolean {
    return this.id !== null;
  }

  setHotFolder(running: boolean): void {
    this.hotFolder = running;
    this.update();
  }

  partScored(): void {
    this.lastPart = this.now();
    this.update();
  }

  dispose(): void {
    this.hotFolder = false;
    this.lastPart = -Infinity;
    this.update();
  }

  private update(): void {
    const sinceLast = this.now() - this.lastPart;
    const want = this.hotFolder || sinceLast < this.idleMs;
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    if (want && this.id === null) {
      // The display too: an operator reads the verdict off it.
      this.id = this.blocker.start('prevent-display-sleep');
      this.log(`inspecting: display sleep blocked (${this.hotFolder ? 'hot folder running' : 'parts being scored'})`);
    } else if (!want && this.id !== null) {
      this.blocker.stop(this.id);
      this.id = null;
      this.log('idle: display sleep allowed again');
    }
    if (want && !this.hotFolder) this.timer = this.setTimer(() => this.update(), this.idleMs - sinceLast);
  }
}
