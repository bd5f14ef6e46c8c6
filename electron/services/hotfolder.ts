// The hot folder: a directory a line camera drops images into. Each new image is scored once it has stopped growing;
// a file that cannot be read yields an error event and the stream goes on. fs.watch gives low latency, and a periodic
// scan catches anything the watcher missed (network shares, bursts).
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError, toAppError } from '../../shared/errors';
import type { HotFolderEvent, HotFolderStatus, InspectionResult } from '../../shared/domain';
import { isImageFileName } from '../../shared/images';

export interface HotFolderOptions {
  /** A file must keep the same size and mtime this long before it is read. */
  settleMs?: number;
  scanMs?: number;
  concurrency?: number;
}

type Inspect = (bytes: Uint8Array, name: string) => Promise<InspectionResult>;

function candidate(name: string): boolean {
  return !/\.(tmp|part|partial|crdownload)$/i.test(name) && isImageFileName(name);
}

export class HotFolder {
  private dir: string | null = null;
  private watcher: FSWatcher | null = null;
  private scanTimer: ReturnType<typeof setInterval> | null = null;
  /** Signature (size:mtime) of each file already handled, so a file is scored once. */
  private readonly done = new Map<string, string>();
  /** Last observation of a file still settling. */
  private readonly settling = new Map<string, { sig: string; since: number; timer: ReturnType<typeof setTimeout> | null }>();
  private readonly checking = new Set<string>();
  private readonly queue: string[] = [];
  private active = 0;
  private processed = 0;
  private errors = 0;
  private lastError: string | null = null;
  private readonly listeners = new Set<(e: HotFolderEvent) => void>();
  private readonly settleMs: number;
  private readonly scanMs: number;
  private readonly concurrency: number;
  private epoch = 0;

  constructor(
    private readonly inspect: Inspect,
    opts: HotFolderOptions = {},
  ) {
    this.settleMs = opts.settleMs ?? 200;
    this.scanMs = opts.scanMs ?? 1000;
    this.concurrency = opts.concurrency ?? 2;
  }

  status(): HotFolderStatus {
    return { running: this.dir !== null, dir: this.dir, processed: this.processed, errors: this.errors, lastError: this.lastError };
  }

  subscribe(listener: (e: HotFolderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: HotFolderEvent): void {
    for (const l of this.listeners) l(e);
  }

  async start(dir: string, includeExisting = false): Promise<HotFolderStatus> {
    const abs = path.resolve(dir);
    const st = await stat(abs).catch(() => null);
    if (!st?.isDirectory()) throw new AppError('NOT_FOUND', `Hot folder not found: ${abs}`);
    this.stop();
    const epoch = ++this.epoch;
    this.dir = abs;
    this.processed = 0;
    this.errors = 0;
    this.lastError = null;
    if (!includeExisting) {
      // Only parts that arrive from now on: what was already there belongs to an earlier run.
      for (const name of (await readdir(abs)).filter(candidate)) {
        const s = await stat(path.join(abs, name)).catch(() => null);
        if (s?.isFile()) this.done.set(name, `${s.size}:${s.mtimeMs}`);
      }
    }
    if (epoch !== this.epoch) return this.status();
    this.watcher = watch(abs, (_event, name) => {
      if (name) this.observe(String(name));
    });
    this.watcher.on('error', (e) => this.fail('(folder)', `Watching ${abs} failed: ${e.message}`));
    this.scanTimer = setInterval(() => void this.scan(), this.scanMs);
    this.scanTimer.unref();
    void this.scan();
    this.emit({ kind: 'status', status: this.status() });
    return this.status();
  }

  stop(): HotFolderStatus {
    this.epoch++;
    this.watcher?.close();
    this.watcher = null;
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = null;
    for (const s of this.settling.values()) if (s.timer) clearTimeout(s.timer);
    this.settling.clear();
    this.checking.clear();
    this.done.clear();
    this.queue.length = 0;
    const wasRunning = this.dir !== null;
    this.dir = null;
    if (wasRunning) this.emit({ kind: 'status', status: this.status() });
    return this.status();
  }

  private async scan(): Promise<void> {
    const dir = this.dir;
    if (!dir) return;
    const names = await readdir(dir).catch(() => null);
    if (!names || dir !== this.dir) return;
    const present = new Set(names);
    // Forget files that were removed (keeps the map bounded on a long run where processed files are cleared away).
    for (const n of this.done.keys()) if (!present.has(n)) this.done.delete(n);
    for (const n of names) this.observe(n);
  }

  private observe(name: string): void {
    if (!this.dir || !candidate(name) || this.queue.includes(name)) return;
    const entry = this.settling.get(name);
    if (entry?.timer || this.checking.has(name)) return; // already being looked at
    const epoch = this.epoch;
    const check = async () => {
      const dir = this.dir;
      if (!dir || epoch !== this.epoch) return;
      this.checking.add(name);
      const s = await stat(path.join(dir, name)).catch(() => null);
      this.checking.delete(name);
      if (!s?.isFile() || epoch !== this.epoch) {
        this.settling.delete(name);
        return;
      }
      const sig = `${s.size}:${s.mtimeMs}`;
      if (this.done.get(name) === sig) {
        this.settling.delete(name);
        return;
      }
      const prev = this.settling.get(name);
      const now = Date.now();
      if (prev && prev.sig === sig && now - prev.since >= this.settleMs) {
        this.settling.delete(name);
        this.done.set(name, sig);
        this.queue.push(name);
        this.pump();
        return;
      }
      const since = prev && prev.sig === sig ? prev.since : now;
      const wait = Math.max(20, this.settleMs - (now - since));
      this.settling.set(name, { sig, since, timer: setTimeout(() => {
        const e = this.settling.get(name);
        if (e) e.timer = null;
        void check();
      }, wait) });
    };
    void check();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length) {
      const name = this.queue.shift()!;
      this.active++;
      void this.process(name, this.epoch).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async process(name: string, epoch: number): Promise<void> {
    const dir = this.dir;
    if (!dir) return;
    try {
      const bytes = await readFile(path.join(dir, name));
      if (bytes.byteLength === 0) throw new AppError('BAD_IMAGE', `Could not read image "${name}": the file is empty.`);
      let result: InspectionResult | null = null;
      while (!result) {
        try {
          result = await this.inspect(new Uint8Array(bytes), name);
        } catch (e) {
          // A real part must be scored: wait for room rather than drop it like a camera frame.
          if (e instanceof AppError && e.code === 'BUSY' && epoch === this.epoch) await new Promise((r) => setTimeout(r, 25));
          else throw e;
        }
      }
      if (epoch !== this.epoch) return;
      this.processed++;
      this.emit({ kind: 'result', file: name, result });
    } catch (e) {
      if (epoch !== this.epoch) return;
      this.fail(name, toAppError(e).message);
    }
  }

  private fail(file: string, message: string): void {
    this.errors++;
    this.lastError = `${file}: ${message}`;
    this.emit({ kind: 'error', file, at: Date.now(), message });
  }
}
