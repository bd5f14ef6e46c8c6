// Main's handle on the engine: the Engine interface (and the Model interface of models it holds) called across to
//   - a worker thread (live inference: low latency), or
//   - a child process at a lower CPU priority (training and evaluation: they may use every core for minutes, and the
//     window and the line's inference must keep theirs).
// with progress and cancellation carried by the protocol (protocol.ts). If the engine dies, everything pending fails
// with an operator-readable error and the next call starts a fresh one (callers watch `generation` to reload their
// models).
import { Worker } from 'node:worker_threads';
import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { AppError } from '../../../shared/errors';
import type { Progress } from '../../../shared/domain';
import type { Device, LongRunning } from '../../engine/api';
import { NOT_LOADED, type FromWorker, type HostReplies, type RemoteEngine, type RemoteModel, type ToWorker, type WorkerError, type WorkerInit, type WorkerRequest } from './protocol';

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
  post(msg: ToWorker): void;
  onMessage(listener: (msg: FromWorker) => void): void;
  onError(listener: (e: Error) => void): void;
  onExit(listener: (code: number | null) => void): void;
  ref(): void;
  unref(): void;
  stop(): Promise<void>;
  /** The child process's id (undefined for a thread). */
  pid?: number;
}

function threadChannel(engineModule: string, nice: number, entry?: string): Channel {
  const workerData: WorkerInit = { engineModule, nice };
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
    post: (m) => worker.postMessage(m),
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

export interface EngineWorkerOptions {
  /** 'thread' (default) or 'process' (a child process, for long jobs). */
  kind?: 'thread' | 'process';
  /** A built worker entry (engine-worker.mjs) instead of the one beside this module. */
  entry?: string;
  /**
   * How much lower the engine's CPU priority is than this thread's (nice steps; at most 19): a child process's, or a
   * worker thread's own (Linux, where a nice value is per thread; the threads it starts, e.g. ONNX Runtime's, inherit
   * it). Default: 10 for a process, 0 for a thread.
   */
  nice?: number;
  /** An engine that stays idle this long stops, giving its memory back; the next call starts another. */
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
        : threadChannel(this.engineModule, this.opts.nice ?? 0, this.opts.entry);
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

  /** Nothing pending: the engine must not keep the process alive, and may go after a while (idleExitMs). */
  private idle(): void {
    // Referenced only while calls are pending: an idle engine must not keep the process alive, a busy one must.
    this.channel?.unref();
    const after = this.opts.idleExitMs;
    if (!after) return;
    this.idleTimer = setTimeout(() => {
      const c = this.channel;
      if (!c || this.pending.size) return;
      this.onExit(c, 'idle');
      void c.stop();
    }, after);
    this.idleTimer.unref();
  }

  /** The engine in the worker, called as the Engine interface (LongRunning options carry signal and onProgress). */
  readonly engine: RemoteEngine = new Proxy({} as RemoteEngine, {
    get: (_t, method) => (...args: unknown[]) => this.request({ to: 'engine', method, args } as WorkerRequest),
  });

  /** The model held under `key`; with `dir`, a model not held is loaded for the call and closed after it. */
  model(key: string, dir?: string): RemoteModel {
    return new Proxy({} as RemoteModel, {
      get: (_t, method) => (...args: unknown[]) => this.request({ to: 'model', key, dir, method, args } as WorkerRequest),
    });
  }

  /** Loads a model and holds it under `key` (replacing what the key held). */
  load(key: string, dir: string, device?: Device): Promise<HostReplies['load']> {
    return this.request({ to: 'load', key, dir, ...(device ? { device } : {}) }) as Promise<HostReplies['load']>;
  }

  unload(key: string): Promise<HostReplies['unload']> {
    return this.request({ to: 'unload', key }) as Promise<HostReplies['unload']>;
  }

  private async request(req: WorkerRequest): Promise<unknown> {
    if (this.closed) throw new AppError('ENGINE', 'The engine has been shut down.');
    const { req: wire, ctx, signal, onProgress } = peelCallbacks(req);
    if (signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    await this.start();
    const channel = this.channel;
    if (!channel) throw new AppError('ENGINE', 'The engine is not running.');
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => channel.post({ type: 'cancel', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, onProgress, cleanup: () => signal?.removeEventListener('abort', onAbort) });
      channel.ref();
      channel.post({ type: 'call', id, req: wire, ctx });
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

/**
 * The request as it travels: the LongRunning callbacks (signal, onProgress) taken off the argument that carries them
 * (a plain object; the Engine interface passes them last), and that argument's position.
 */
function peelCallbacks(req: WorkerRequest): { req: WorkerRequest; ctx: number | null } & LongRunning {
  if (!('args' in req)) return { req, ctx: null };
  const args: unknown[] = [...req.args];
  const ctx = args.findIndex((a) => a !== null && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype && ('signal' in a || 'onProgress' in a));
  if (ctx < 0) return { req, ctx: null };
  const { signal, onProgress, ...rest } = args[ctx] as LongRunning & Record<string, unknown>;
  args[ctx] = rest;
  return { req: { ...req, args } as WorkerRequest, ctx, signal, onProgress };
}

/** The worker's error rebuilt in main (stack included); an abort is the app's CANCELLED, an unknown model NO_MODEL. */
function toError(e: WorkerError): Error {
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return new AppError('CANCELLED', 'Cancelled.');
  if (e.name === NOT_LOADED) return new AppError('NO_MODEL', e.message);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code) Object.assign(err, { code: e.code });
  if (e.stack) err.stack = e.stack;
  return err;
}
