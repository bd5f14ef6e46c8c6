// Main's handle on one engine worker thread: typed calls with progress, cancellation and transferable buffers. If the
// worker dies, everything pending fails with an operator-readable error and the next call starts a fresh worker
// (callers watch `generation` to reload their models).
import { Worker } from 'node:worker_threads';
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

function spawnWorker(engineModule: string, entryOverride?: string): Worker {
  const workerData = { engineModule };
  if (entryOverride) return new Worker(entryOverride, { workerData });
  if (fromSource) {
    // A checkout runs TypeScript through tsx; a worker thread does not inherit the loader, so it imports its entry
    // through tsx's scoped API.
    const entry = pathToFileURL(path.join(path.dirname(here), 'engine-worker.ts')).href;
    const code = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(pathToFileURL(here).href)}))`;
    return new Worker(code, { eval: true, workerData });
  }
  const entry = besideBundle('engine-worker.mjs');
  if (!existsSync(entry)) throw new Error(`The engine worker bundle is missing: ${entry}. Run \`npm run build\`.`);
  return new Worker(entry, { workerData });
}

export interface EngineCallOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  transfer?: ArrayBuffer[];
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: Progress) => void;
  cleanup(): void;
}

export class EngineWorker {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /** Bumped each time a worker starts; models loaded in an earlier generation are gone. */
  generation = 0;

  constructor(
    readonly name: string,
    private readonly engineModule: string = defaultEngineModule(),
    /** A built worker entry (engine-worker.mjs) instead of the one beside this module. */
    private readonly entry?: string,
  ) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = spawnWorker(this.engineModule, this.entry);
    this.worker = worker;
    this.generation++;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') resolve();
        else this.onMessage(msg);
      });
      worker.once('error', (e) => {
        reject(e);
        this.onExit(`the ${this.name} engine failed: ${e.message}`);
      });
      worker.once('exit', (code) => {
        reject(new Error(`the ${this.name} engine exited with code ${code} before it was ready`));
        this.onExit(`the ${this.name} engine stopped (exit code ${code})`);
      });
    });
    return this.ready;
  }

  private onExit(reason: string): void {
    this.worker = null;
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
    // Referenced only while calls are pending: an idle worker must not keep the process alive, a busy one must.
    if (this.pending.size === 0) this.worker?.unref();
    p.cleanup();
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(toError(msg.error));
  }

  async call<O extends WorkerOp>(req: Extract<WorkerRequest, { op: O }>, opts: EngineCallOptions = {}): Promise<WorkerResults[O]> {
    if (this.closed) throw new AppError('ENGINE', 'The engine has been shut down.');
    if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
    await this.start();
    const worker = this.worker;
    if (!worker) throw new AppError('ENGINE', 'The engine is not running.');
    const id = this.nextId++;
    return new Promise<WorkerResults[O]>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => resolve(v as WorkerResults[O]),
        reject,
        onProgress: opts.onProgress,
        cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
      });
      worker.ref();
      worker.postMessage({ type: 'call', id, req } satisfies ToWorker, opts.transfer ?? []);
    });
  }

  /** Calls in flight (for bounded queues upstream). */
  get busy(): number {
    return this.pending.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.onExit('shut down');
    if (w) await w.terminate();
  }
}

function toError(e: WorkerError): Error {
  if (e.name === 'AbortError') return new AppError('CANCELLED', 'Cancelled.');
  if (e.name === 'NotLoaded') return new AppError('NO_MODEL', e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
