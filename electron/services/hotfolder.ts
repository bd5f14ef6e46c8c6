// The hot folder: a directory a line camera drops images into. Each new image is scored once it has stopped growing,
// then (with sorting on) moved to the OK or NG folder with a JSON sidecar, or to the error folder with its reason.
//
// Cost per poll is proportional to new files, not to every file ever seen: fs.watch gives the new names at once, and
// the periodic listing (a backstop for network shares and bursts) stats only names it does not know yet. Sorted parts
// leave the folder, so the listing stays short; parts left in place are remembered by name and re-read only when the
// watcher says they changed. The listing's period stretches with its own cost (at most a 5 % duty cycle).
//
// Every part goes through the journal (journal.ts) before anything irreversible, so a crash or kill at any instant
// resumes without scoring a part twice or losing one.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError, toAppError } from '../../shared/errors';
import type { HotFolderEvent, HotFolderStatus, InspectionRecord, InspectionResult } from '../../shared/domain';
import { isImageFileName } from '../../shared/images';
import { DEFAULT_STATION_SETTINGS, type SortSettings } from '../../shared/settings';
import { openDatabase } from './db';
import { PartJournal, partKey, type JournalEntry } from './journal';
import { errorSidecar, movePart, sidecarOf, uniqueDest, writeSidecar, type PartContext } from './sorting';

/** Scores a part and resolves once its record is committed (so the journal can say "scored"). */
type Inspect = (bytes: Uint8Array, name: string, partKey: string) => Promise<InspectionResult>;

export interface HotFolderOptions {
  /** A file must keep the same size and mtime this long before it is read. */
  settleMs?: number;
  /** Shortest period of the backstop listing. */
  scanMs?: number;
  concurrency?: number;
  /** The journal (default: an in-memory one, i.e. no crash recovery). */
  journal?: PartJournal;
  /** The record of a part scored before a crash, by its part key. */
  recordOf?: (partKey: string) => InspectionRecord | null;
  /** Model version and device for the sidecar. */
  context?: () => PartContext;
  sort?: SortSettings;
  /** How often a stopped sorting (unwritable OK/NG folder) tries again. */
  sortRetryMs?: number;
  /** Tries and first wait for a file that is locked while being read (doubling each time). */
  readRetries?: number;
  readRetryMs?: number;
  /** File reading, injectable for tests (a locked file cannot be simulated portably). */
  readFile?: (file: string) => Promise<Uint8Array>;
}

export interface HotFolderStats {
  polls: number;
  /** Names returned by the listings, all polls together. */
  listed: number;
  /** stat() calls, all together (each new file costs a few while it settles). */
  stats: number;
  lastScanMs: number;
  /** Wall time of all listings together (ms). */
  scanMs: number;
}

/** Why a part could not be scored: named in its error sidecar and in the error event. */
const VANISHED = 'VANISHED';
const LOCKED = 'LOCKED';
const TRANSIENT = new Set(['EBUSY', 'EPERM', 'EACCES', 'EAGAIN']);

function candidate(rel: string): boolean {
  const name = path.basename(rel);
  return !/\.(tmp|part|partial|crdownload)$/i.test(name) && isImageFileName(name);
}

/** A file still settling, queued, being handled, or handled and left in place (held). */
interface Known {
  state: 'settling' | 'queued' | 'active' | 'held';
  sig?: string;
  since?: number;
  timer?: ReturnType<typeof setTimeout> | null;
  checking?: boolean;
  journalId?: number;
}

class PartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A destination folder that cannot be written: sorting stops, verdicts go on being recorded. */
class SortError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sigOf = (s: { size: number; mtimeMs: number }) => `${s.size}:${s.mtimeMs}`;

export class HotFolder {
  private dir: string | null = null;
  private recursive = false;
  private watcher: FSWatcher | null = null;
  private scanTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly known = new Map<string, Known>();
  private readonly queue: string[] = [];
  /** Scored parts waiting for a halted sorting to resume, by journal id. */
  private readonly pendingMoves = new Map<number, string>();
  private sortHalted: string | null = null;
  private sortTimer: ReturnType<typeof setInterval> | null = null;
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private processed = 0;
  private errors = 0;
  private lastError: string | null = null;
  private readonly listeners = new Set<(e: HotFolderEvent) => void>();
  private readonly settleMs: number;
  private readonly scanMs: number;
  private readonly concurrency: number;
  private readonly journal: PartJournal;
  private sort: SortSettings;
  private epoch = 0;
  readonly stats: HotFolderStats = { polls: 0, listed: 0, stats: 0, lastScanMs: 0, scanMs: 0 };

  constructor(
    private readonly inspect: Inspect,
    private readonly opts: HotFolderOptions = {},
  ) {
    this.settleMs = opts.settleMs ?? 200;
    this.scanMs = opts.scanMs ?? 1000;
    this.concurrency = opts.concurrency ?? 2;
    this.journal = opts.journal ?? new PartJournal(openDatabase(':memory:'));
    this.sort = opts.sort ?? DEFAULT_STATION_SETTINGS.sort;
  }

  status(): HotFolderStatus {
    return { running: this.dir !== null, dir: this.dir, processed: this.processed, errors: this.errors, lastError: this.lastError };
  }

  /** Sorting as configured, and whether it is stopped (an OK/NG folder that cannot be written) and why. */
  sortStatus(): { enabled: boolean; halted: string | null; pending: number } {
    return { enabled: this.sort.enabled, halted: this.sortHalted, pending: this.pendingMoves.size };
  }

  subscribe(listener: (e: HotFolderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: HotFolderEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** New sorting settings; they apply from the next part on (parts already in place stay where they are). */
  configureSort(sort: SortSettings): void {
    this.sort = sort;
    this.sortHalted = null;
    if (!sort.enabled) {
      // Parts that were waiting for a folder that could not be written stay where they are, as sorting is off.
      for (const [id, rel] of this.pendingMoves) {
        this.journal.finish(id, 'kept', null);
        this.known.set(rel, { state: 'held' });
      }
      this.pendingMoves.clear();
    } else if (this.pendingMoves.size) void this.retryMoves();
  }

  async start(dir: string, includeExisting = false, recursive = false): Promise<HotFolderStatus> {
    const abs = path.resolve(dir);
    const st = await stat(abs).catch(() => null);
    if (!st?.isDirectory()) throw new AppError('NOT_FOUND', `Hot folder not found: ${abs}`);
    this.stop();
    const epoch = ++this.epoch;
    this.dir = abs;
    this.recursive = recursive;
    this.processed = 0;
    this.errors = 0;
    this.lastError = null;
    const names = await this.list(abs);
    if (epoch !== this.epoch || !names) return this.status();
    await this.recover(abs, new Set(names), includeExisting);
    if (epoch !== this.epoch) return this.status();
    try {
      this.watcher = watch(abs, { recursive }, (_event, name) => {
        if (name) this.observe(String(name), true);
      });
      this.watcher.on('error', (e) => this.fail('(folder)', `Watching ${abs} failed: ${e.message}`));
    } catch (e) {
      // Without a watcher (some network shares), the listing alone finds new parts.
      this.fail('(folder)', `Cannot watch ${abs} (${(e as Error).message}); new parts are found by listing the folder.`);
    }
    this.sortTimer = setInterval(() => void this.retryMoves(), this.opts.sortRetryMs ?? 5000);
    this.sortTimer.unref();
    this.emit({ kind: 'status', status: this.status() });
    void this.scan(epoch);
    return this.status();
  }

  /** Stops finding new parts; parts already being scored finish (await idle() before closing the database). */
  stop(): HotFolderStatus {
    this.epoch++;
    this.watcher?.close();
    this.watcher = null;
    if (this.scanTimer) clearTimeout(this.scanTimer);
    this.scanTimer = null;
    if (this.sortTimer) clearInterval(this.sortTimer);
    this.sortTimer = null;
    for (const k of this.known.values()) if (k.timer) clearTimeout(k.timer);
    // Queued parts stay claimed in the journal: the next start scores them.
    this.known.clear();
    this.queue.length = 0;
    this.pendingMoves.clear();
    const wasRunning = this.dir !== null;
    this.dir = null;
    if (wasRunning) this.emit({ kind: 'status', status: this.status() });
    return this.status();
  }

  /** Parts found and not yet finished (settling, queued, being scored). */
  get backlog(): number {
    let n = 0;
    for (const k of this.known.values()) if (k.state !== 'held') n++;
    return n;
  }

  /** Resolves when no part is being handled. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async list(dir: string): Promise<string[] | null> {
    const t0 = performance.now();
    try {
      const entries = await readdir(dir, { withFileTypes: true, recursive: this.recursive });
      const out: string[] = [];
      for (const e of entries) {
        if (e.isDirectory()) continue;
        const rel = this.recursive ? path.relative(dir, path.join(e.parentPath, e.name)) : e.name;
        if (candidate(rel) && !this.insideOutputs(path.join(dir, rel))) out.push(rel);
      }
      this.stats.polls++;
      this.stats.listed += entries.length;
      this.stats.lastScanMs = performance.now() - t0;
      this.stats.scanMs += this.stats.lastScanMs;
      return out;
    } catch (e) {
      this.fail('(folder)', `Cannot list ${dir}: ${(e as Error).message}`);
      return null;
    }
  }

  /** Output folders inside a recursive hot folder are not input. */
  private insideOutputs(abs: string): boolean {
    if (!this.recursive || !this.sort.enabled) return false;
    return [this.sort.okDir, this.sort.ngDir, this.sort.errorDir].some((d) => d && abs.startsWith(path.resolve(d) + path.sep));
  }

  /** Resumes what a stop or crash interrupted, and remembers the parts handled earlier and left in place. */
  private async recover(dir: string, present: Set<string>, includeExisting: boolean): Promise<void> {
    for (const e of this.journal.unfinished(dir)) {
      if (e.state === 'claimed') {
        const rec = this.opts.recordOf?.(partKey(e.id));
        if (rec) {
          // Scored before the crash, the journal not yet told: take the verdict from the record.
          this.journal.scored(e.id, rec.id, rec.verdict, sidecarOf(e.rel, rec, this.context(), rec.id), null);
          this.known.set(e.rel, { state: 'active', journalId: e.id });
          this.track(e.rel, this.afterScore(this.journal.get(e.id)!, this.epoch));
        } else if (present.has(e.rel)) {
          this.known.set(e.rel, { state: 'queued', journalId: e.id });
          this.queue.push(e.rel);
        } else {
          await this.failPart(e, new PartError(VANISHED, `"${e.rel}" vanished before it could be read.`));
        }
      } else {
        this.known.set(e.rel, { state: 'active', journalId: e.id });
        this.track(e.rel, this.afterScore(e, this.epoch));
      }
    }
    const inPlace = new Map<string, JournalEntry>();
    for (const e of this.journal.inPlace(dir)) if (present.has(e.rel)) inPlace.set(e.rel, e);
    for (const rel of present) {
      if (this.known.has(rel)) continue;
      const done = inPlace.get(rel);
      if (done || !includeExisting) {
        // Handled earlier (or, without includeExisting, from an earlier run): only a changed file is a new part.
        const s = await this.statRel(dir, rel);
        if (!s) continue;
        if (!done || sigOf(s) === `${done.size}:${done.mtimeMs}`) this.known.set(rel, { state: 'held', sig: sigOf(s) });
      }
    }
    this.pump();
  }

  private async statRel(dir: string, rel: string) {
    this.stats.stats++;
    const s = await stat(path.join(dir, rel)).catch(() => null);
    return s?.isFile() ? s : null;
  }

  private async scan(epoch: number): Promise<void> {
    const dir = this.dir;
    if (!dir || epoch !== this.epoch) return;
    const names = await this.list(dir);
    if (epoch !== this.epoch) return;
    if (names) {
      const present = new Set(names);
      // Forget held files that are gone (the map stays as small as the folder).
      for (const [rel, k] of this.known) if (k.state === 'held' && !present.has(rel)) this.known.delete(rel);
      for (const n of names) this.observe(n, false);
    }
    // A 5 % duty cycle at most: a huge unsorted folder is listed less often (the watcher still reports new files).
    const next = Math.min(30_000, Math.max(this.scanMs, 20 * this.stats.lastScanMs));
    this.scanTimer = setTimeout(() => void this.scan(epoch), next);
    this.scanTimer.unref();
  }

  private observe(rel: string, fromWatcher: boolean): void {
    if (!this.dir || !candidate(rel) || this.insideOutputs(path.join(this.dir, rel))) return;
    const k = this.known.get(rel);
    if (k && (k.state === 'queued' || k.state === 'active' || k.timer || k.checking)) return;
    // A held (handled) file is looked at again only when the watcher reports a change to it.
    if (k?.state === 'held' && !fromWatcher) return;
    const epoch = this.epoch;
    const dir = this.dir;
    const check = async () => {
      if (epoch !== this.epoch) return;
      const cur = this.known.get(rel);
      if (cur) cur.checking = true;
      const s = await this.statRel(dir, rel);
      if (epoch !== this.epoch) return;
      const entry = this.known.get(rel);
      if (entry) entry.checking = false;
      if (!s) {
        if (entry?.state === 'settling') this.known.delete(rel);
        return;
      }
      const sig = sigOf(s);
      if (entry?.state === 'held') {
        if (entry.sig === sig) return;
        this.known.delete(rel); // rewritten in place: a new part
      }
      const prev = this.known.get(rel);
      const now = Date.now();
      if (prev && prev.sig === sig && now - (prev.since ?? now) >= this.settleMs) {
        const id = this.journal.claim(dir, rel, s.size, s.mtimeMs);
        this.known.set(rel, { state: 'queued', journalId: id });
        this.queue.push(rel);
        this.pump();
        return;
      }
      const since = prev && prev.sig === sig ? prev.since! : now;
      const wait = Math.max(20, this.settleMs - (now - since));
      this.known.set(rel, {
        state: 'settling',
        sig,
        since,
        timer: setTimeout(() => {
          const e = this.known.get(rel);
          if (e) e.timer = null;
          void check();
        }, wait),
      });
    };
    if (!k) this.known.set(rel, { state: 'settling', checking: true });
    void check();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length) {
      const rel = this.queue.shift()!;
      const k = this.known.get(rel);
      if (!k?.journalId) continue;
      k.state = 'active';
      const entry = this.journal.get(k.journalId);
      if (!entry) continue;
      this.track(rel, this.process(entry, this.epoch));
    }
  }

  /** Counts a part's handling as work in progress (idle() waits for it); a failure is reported, never thrown away. */
  private track(rel: string, work: Promise<void>): void {
    this.begin();
    work.catch((e: unknown) => this.fail(rel, toAppError(e).message)).finally(() => this.end());
  }

  private begin(): void {
    this.active++;
  }

  private end(): void {
    this.active--;
    this.pump();
    if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private context(): PartContext {
    return this.opts.context?.() ?? { modelVersion: null, device: null };
  }

  private async readPart(file: string, rel: string): Promise<Uint8Array> {
    const read = this.opts.readFile ?? readFile;
    const tries = this.opts.readRetries ?? 5;
    let wait = this.opts.readRetryMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await read(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (code === 'ENOENT') throw new PartError(VANISHED, `"${rel}" vanished before it could be read.`);
        if (!TRANSIENT.has(code)) throw new PartError(code || 'READ', `Could not read "${rel}": ${(e as Error).message}`);
        if (attempt >= tries) throw new PartError(LOCKED, `"${rel}" stayed locked (${code}) for ${tries} tries; another program holds it.`);
        await sleep(wait);
        wait *= 2;
      }
    }
  }

  private async process(entry: JournalEntry, epoch: number): Promise<void> {
    const file = path.join(entry.folder, entry.rel);
    let result: InspectionResult;
    try {
      const bytes = await this.readPart(file, entry.rel);
      if (bytes.byteLength === 0) throw new PartError('BAD_IMAGE', `Could not read image "${entry.rel}": the file is empty.`);
      result = await this.score(bytes, entry);
    } catch (e) {
      if (e instanceof PartError) return this.failPart(entry, e);
      const err = toAppError(e);
      if (err.code === 'BAD_IMAGE') return this.failPart(entry, new PartError('BAD_IMAGE', err.message));
      // Not the part's fault (no model, the engine restarting, a full disk): it stays claimed and is tried again.
      this.fail(entry.rel, `${err.message} (the part stays in the hot folder and is tried again)`);
      await sleep(1000);
      if (epoch === this.epoch && this.known.get(entry.rel)?.journalId === entry.id) {
        this.known.get(entry.rel)!.state = 'queued';
        this.queue.push(entry.rel);
      }
      return;
    }
    this.journal.scored(entry.id, result.recordId, result.verdict, sidecarOf(entry.rel, result, this.context(), result.recordId), null);
    this.processed++;
    this.emit({ kind: 'result', file: entry.rel, result });
    await this.afterScore(this.journal.get(entry.id)!, epoch);
  }

  private async score(bytes: Uint8Array, entry: JournalEntry): Promise<InspectionResult> {
    for (;;) {
      try {
        return await this.inspect(bytes, entry.rel, partKey(entry.id));
      } catch (e) {
        // A real part must be scored: wait for room rather than drop it like a camera frame.
        if (e instanceof AppError && e.code === 'BUSY') await sleep(25);
        else throw e;
      }
    }
  }

  /** A scored part: sorted into OK/NG with its sidecar, or left in place. */
  private async afterScore(e: JournalEntry, epoch: number): Promise<void> {
    const sort = this.sort;
    if (!sort.enabled) {
      this.journal.finish(e.id, 'kept', null);
      this.hold(e, epoch);
      return;
    }
    if (this.sortHalted) {
      this.pendingMoves.set(e.id, e.rel);
      this.hold(e, epoch);
      return;
    }
    try {
      await this.sortPart(e, sort);
      if (epoch === this.epoch) this.known.delete(e.rel);
    } catch (err) {
      if (!(err instanceof SortError)) throw err;
      this.haltSorting(err.message);
      this.pendingMoves.set(e.id, e.rel);
      this.hold(e, epoch);
    }
  }

  private hold(e: JournalEntry, epoch: number): void {
    if (epoch === this.epoch) this.known.set(e.rel, { state: 'held', sig: `${e.size}:${e.mtimeMs}` });
  }

  private async sortPart(e: JournalEntry, sort: SortSettings): Promise<void> {
    const src = path.join(e.folder, e.rel);
    const verdict = e.sidecar?.verdict;
    const destDir = verdict === 'OK' ? sort.okDir : sort.ngDir;
    if (!destDir) throw new SortError(`Sorting stopped: no ${verdict} folder is set.`);
    try {
      let dest = e.dest;
      if (!dest) {
        dest = await uniqueDest(path.resolve(destDir), e.rel, e.id);
        this.journal.setDest(e.id, dest);
      }
      if (sort.sidecar && e.sidecar) await writeSidecar(dest, { ...e.sidecar, file: path.basename(dest), source: src });
      await movePart(src, dest);
      this.journal.finish(e.id, 'moved', dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !(await stat(src).catch(() => null))) {
        // Gone from the hot folder after it was scored (its verdict is recorded): nothing left to move.
        this.journal.finish(e.id, 'error', null, `"${e.rel}" vanished after it was scored; its verdict is recorded.`);
        return;
      }
      throw new SortError(
        `Sorting stopped: cannot write to the ${verdict} folder ${path.resolve(destDir)} (${code ?? (err as Error).message}). ` +
          'Verdicts are still recorded; the parts stay in the hot folder until the folder can be written.',
      );
    }
  }

  private haltSorting(message: string): void {
    if (this.sortHalted === message) return;
    this.sortHalted = message;
    this.fail('(sorting)', message);
  }

  /** While sorting is stopped: tries the oldest waiting part, and on success moves all the others. */
  private async retryMoves(): Promise<void> {
    if (!this.pendingMoves.size || !this.sort.enabled) return;
    const epoch = this.epoch;
    this.begin();
    try {
      for (const [id] of [...this.pendingMoves]) {
        const e = this.journal.get(id);
        if (!e || epoch !== this.epoch) break;
        try {
          await this.sortPart(e, this.sort);
        } catch (err) {
          if (!(err instanceof SortError)) throw err;
          this.sortHalted = err.message;
          return;
        }
        this.pendingMoves.delete(id);
        this.known.delete(e.rel);
      }
      if (!this.pendingMoves.size && this.sortHalted) {
        this.sortHalted = null;
        this.emit({ kind: 'status', status: this.status() });
      }
    } finally {
      this.end();
    }
  }

  /** A part that cannot be scored: to the error folder (when set) with its reason beside it, else left in place. */
  private async failPart(e: JournalEntry, err: PartError): Promise<void> {
    const src = path.join(e.folder, e.rel);
    const errorDir = this.sort.enabled && this.sort.errorDir ? path.resolve(this.sort.errorDir) : null;
    let dest: string | null = null;
    let note = '';
    if (errorDir) {
      try {
        dest = await uniqueDest(errorDir, e.rel, e.id);
        await writeSidecar(dest, { ...errorSidecar(path.basename(dest), err.code, err.message), source: src });
        if (err.code !== VANISHED) await movePart(src, dest);
      } catch (moveErr) {
        note = ` (it could not be moved to ${errorDir}: ${(moveErr as Error).message})`;
        dest = null;
      }
    }
    this.journal.finish(e.id, 'error', dest, `${err.code}: ${err.message}`);
    if (dest || err.code === VANISHED) this.known.delete(e.rel);
    else this.known.set(e.rel, { state: 'held', sig: `${e.size}:${e.mtimeMs}` });
    this.fail(e.rel, err.message + note);
  }

  private fail(file: string, message: string): void {
    this.errors++;
    this.lastError = `${file}: ${message}`;
    this.emit({ kind: 'error', file, at: Date.now(), message });
  }
}
