// Main's handle on the engine: typed calls with progress, cancellation and transferable buffers, to either
//   - a worker thread (live inference: low latency, buffers transferred without copies), or
//   - a child process at a lower CPU priority (training and evaluation: they may use every core for minutes, and the
//     window and the line's inference must keep theirs).
// If the engine dies, everything pending fails with an operator-readable error and the next call starts a fresh one
// (callers watch `generation` to reload their models).
import { Worker } from 'node:worker_threads';
import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { AppError } from '../../../shared/errors';
import type { Progress } from '../../../shared/domain';
import type { FromWorker, ToWorker, WorkerError, WorkerOp, WorkerRequest, WorkerResults } from './protocol';

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');

/**
 * A file beside the bundle. In a packaged app the bundle is inside app.asar, but worker entries are unpacked
 * (electron-builder.yml asarUnpack): a worker thread cannot load its module from inside the archive.
 */
function besideBundle(name: string): string {
  const file = path.join(path.dirname(here), name);
  const unpacked = file.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  return unpacked !== file && existsSync(unpacked) ? unpacked : file;
}

/** The real engine (electron/engine/index.ts in a checkout, engine.mjs beside the bundle in a build). */
export function defaultEngineModule(): string {
  if (process.env.PATCHLINE_ENGINE_MODULE) return process.env.PATCHLINE_ENGINE_MODULE;
  return fromSource
    ? pathToFileURL(path.resolve(path.dirname(here), '../../engine/index.ts')).href
    : pathToFileURL(besideBundle('engine.mjs')).href;
}

function bundledEntry(entry?: string): string {
  const file = entry ?? besideBundle('engine-worker.mjs');
  if (!existsSync(file)) throw new Error(`The engine worker bundle is missing: ${file}. Run \`npm run build\`.`);
  return file;
}

/** The two kinds of engine host behind one interface. */
interface Channel {
  post(msg: ToWorker, transfer: ArrayBuffer[]): void;
  onMessage(listener: (msg: FromWorker) => void): void;
  onError(listener: (e: Error) => void): void;
  onExit(listener: (code: number | null) => void): void;
  ref(): void;
  unref(): void;
  stop(): Promise<void>;
  /** The child process's id (undefined for a thread). */
  pid?: number;
}

function threadChannel(engineModule: string, entry?: string): Channel {
  const workerData = { engineModule };
  let worker: Worker;
  if (!entry && fromSource) {
    // A checkout runs TypeScript through tsx; a worker thread does not inherit the loader, so it imports its entry
    // through tsx's scoped API.
    const src = pathToFileURL(path.join(path.dirname(here), 'engine-worker.ts')).href;
    const code = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(src)}, ${JSON.stringify(pathToFileURL(here).href)}))`;
    worker = new Worker(code, { eval: true, workerData });
  } else {
    worker = new Worker(bundledEntry(entry), { workerData });
  }
  return {
    post: (m, t) => worker.postMessage(m, t),
    onMessage: (l) => worker.on('message', l),
    onError: (l) => worker.once('error', l),
    onExit: (l) => worker.once('exit', l),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    stop: async () => {
      await worker.terminate();
    },
  };
}

function processChannel(engineModule: string, nice: number, entry?: string): Channel {
  const source = !entry && fromSource;
  const child: ChildProcess = fork(source ? path.join(path.dirname(here), 'engine-worker.ts') : bundledEntry(entry), [], {
    execArgv: source ? ['--import', 'tsx'] : [],
    env: { ...process.env, PATCHLINE_WORKER_ENGINE: engineModule },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Below this process's own priority, whatever that is (an app started under `nice` must still outrank its training),
  // and the threads the engine starts later (ONNX Runtime, OpenMP) inherit it.
  if (child.pid !== undefined && nice) {
    try {
      setPriority(child.pid, Math.min(19, getPriority() + nice));
    } catch {
      // Not allowed here: the job still runs, at normal priority.
    }
  }
  return {
    pid: child.pid,
    post: (m) => void child.send(m),
    onMessage: (l) => child.on('message', (m) => l(m as FromWorker)),
    onError: (l) => child.once('error', l),
    onExit: (l) => child.once('exit', (code) => l(code)),
    ref: () => {
      child.ref();
      child.channel?.ref();
    },
    unref: () => {
      child.unref();
      child.channel?.unref();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.ref(); // an idle child is unreferenced: hold the loop until it has really gone
        child.kill('SIGTERM');
      }),
  };
}

export interface EngineCallOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  transfer?: ArrayBuffer[];
}

export interface EngineWorkerOptions {
  /** 'thread' (default) or 'process' (a child process, for long jobs). */
  kind?: 'thread' | 'process';
  /** A built worker entry (engine-worker.mjs) instead of the one beside this module. */
  entry?: string;
  /** How much lower a child process's CPU priority is than this one's (nice steps; at most 19). */
  nice?: number;
  /** A child process that stays idle this long exits, giving its memory back; the next call starts another. */
  idleExitMs?: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: Progress) => void;
  cleanup(): void;
}

export class EngineWorker {
  private channel: Channel | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped each time an engine host starts; models loaded in an earlier generation are gone. */
  generation = 0;

  constructor(
    readonly name: string,
    private readonly engineModule: string = defaultEngineModule(),
    private readonly opts: EngineWorkerOptions = {},
  ) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const channel =
      this.opts.kind === 'process'
        ? processChannel(this.engineModule, this.opts.nice ?? 10, this.opts.entry)
        : threadChannel(this.engineModule, this.opts.entry);
    this.channel = channel;
    this.generation++;
    this.ready = new Promise<void>((resolve, reject) => {
      channel.onMessage((msg) => {
        if (msg.type === 'ready') resolve();
        else this.onMessage(msg);
      });
      channel.onError((e) => {
        reject(e);
        this.onExit(channel, `the ${this.name} engine failed: ${e.message}`);
      });
      channel.onExit((code) => {
        reject(new Error(`the ${this.name} engine exited with code ${code} before it was ready`));
        this.onExit(channel, `the ${this.name} engine stopped (exit code ${code})`);
      });
    });
    return this.ready;
  }

  private onExit(channel: Channel, reason: string): void {
    if (this.channel !== channel) return; // an engine already replaced or stopped
    this.channel = null;
    this.ready = null;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(new AppError('ENGINE', `The inspection engine stopped unexpectedly (${reason}).`));
    }
  }

  private onMessage(msg: Exclude<FromWorker, { type: 'ready' }>): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      p.onProgress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.idle();
    p.cleanup();
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(toError(msg.error));
  }

  /** Nothing pending: the engine must not keep the process alive, and a child process may go after a while. */
  private idle(): void {
    // Referenced only while calls are pending: an idle engine must not keep the process alive, a busy one must.
    this.channel?.unref();
    const after = this.opts.idleExitMs;
    if (this.opts.kind !== 'process' || !after) return;
    this.idleTimer = setTimeout(() => {
      const c = this.channel;
      if (!c || this.pending.size) return;
      this.onExit(c, 'idle');
      void c.stop();
    }, after);
    this.idleTimer.unref();
  }

  async call<O extends WorkerOp>(req: Extract<WorkerRequest, { op: O }>, opts: EngineCallOptions = {}): Promise<WorkerResults[O]> {
    if (this.closed) throw new AppError('ENGINE', 'The engine has been shut down.');
    if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    await this.start();
    const channel = this.channel;
    if (!channel) throw new AppError('ENGINE', 'The engine is not running.');
    const id = this.nextId++;
    return new Promise<WorkerResults[O]>((resolve, reject) => {
      const onAbort = () => channel.post({ type: 'cancel', id }, []);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => resolve(v as WorkerResults[O]),
        reject,
        onProgress: opts.onProgress,
        cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
      });
      channel.ref();
      channel.post({ type: 'call', id, req }, opts.transfer ?? []);
    });
  }

  /** The engine's child process, when it runs in one and is up. */
  get pid(): number | undefined {
    return this.channel?.pid;
  }

  /** Calls in flight (for bounded queues upstream). */
  get busy(): number {
    return this.pending.size;
  }

  /** Stops the engine host as if it had crashed (tests). */
  async kill(): Promise<void> {
    const c = this.channel;
    if (c) await c.stop();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const c = this.channel;
    if (c) this.onExit(c, 'shut down');
    if (c) await c.stop();
  }
}

function toError(e: WorkerError): Error {
  if (e.name === 'AbortError') return new AppError('CANCELLED', 'Cancelled.');
  if (e.name === 'NotLoaded') return new AppError('NO_MODEL', e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
