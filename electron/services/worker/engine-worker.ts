// Entry of the engine's worker: a worker thread (live inference) or a child process (training and evaluation, at a
// lower CPU priority). It loads the engine module it is given (anything exporting `engine: Engine`) and dispatches
// main's requests to it (protocol.ts); it holds the loaded models and carries cancellation, progress and errors, and
// knows nothing else. Nothing here runs on main's thread, so a slow fit or a burst of predictions cannot stall IPC or
// the window.
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Engine, LongRunning, Model, Progress } from '../../engine/api';
import { NOT_LOADED, type FromWorker, type HostReplies, type ToWorker, type WorkerError, type WorkerInit, type WorkerRequest } from './protocol';

/** The channel to main: a worker thread's port, or a child process's IPC channel ('advanced' serialisation). */
interface Port {
  post(msg: FromWorker): void;
  onMessage(listener: (msg: ToWorker) => void): void;
}

function openPort(): { port: Port; init: WorkerInit } {
  if (parentPort) {
    const p = parentPort;
    return { port: { post: (m) => p.postMessage(m), onMessage: (l) => p.on('message', l) }, init: workerData as WorkerInit };
  }
  if (process.send && process.env.PATCHLINE_WORKER_ENGINE) {
    const send = process.send.bind(process);
    // If main goes away, so does this process: a trainer must never outlive its app.
    process.on('disconnect', () => process.exit(0));
    return {
      port: { post: (m) => void send(m), onMessage: (l) => process.on('message', (m) => l(m as ToWorker)) },
      init: { engineModule: process.env.PATCHLINE_WORKER_ENGINE },
    };
  }
  throw new Error('engine-worker must run in a worker thread or a child process started by main');
}

const { port, init } = openPort();
// Before the engine loads: the threads it starts (ONNX Runtime's pool, created with the session) inherit the priority.
if (init.nice && parentPort) lowerThreadPriority(init.nice);
const { engine } = (await import(init.engineModule)) as { engine: Engine };
if (!engine) throw new Error(`${init.engineModule} exports no \`engine\` (the Engine interface of electron/engine/api.ts)`);

const models = new Map<string, Model>();
const jobs = new Map<number, AbortController>();

/** At most ~10 progress messages a second reach main (and from there the window), plus the last one. */
function throttledProgress(id: number): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.done < p.total) return;
    last = now;
    port.post({ type: 'progress', id, progress: { ...p } });
  };
}

/**
 * This thread's nice value up by `steps`. On Linux a nice value belongs to a thread, and setpriority(2) on pid 0 (what
 * os.setPriority(0, …) calls) changes only the calling one; elsewhere it would lower the whole app, so a thread lowers
 * nothing there (EngineWorker keeps a child process for that: kind 'process').
 */
function lowerThreadPriority(steps: number): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + steps));
  } catch {
    // Not allowed here: the jobs still run, at normal priority.
  }
}

type Call = (...args: unknown[]) => Promise<unknown>;

function notLoaded(key: string): Error {
  return Object.assign(new Error(`Model ${key} is not loaded in the engine.`), { name: NOT_LOADED });
}

async function dispatch(req: WorkerRequest, args: unknown[]): Promise<unknown> {
  switch (req.to) {
    case 'engine':
      return (engine[req.method] as Call)(...args);
    case 'model': {
      const held = models.get(req.key);
      if (held) return (held[req.method] as Call).apply(held, args);
      if (!req.dir) throw notLoaded(req.key);
      const m = await engine.loadModel(req.dir);
      try {
        return await (m[req.method] as Call).apply(m, args);
      } finally {
        await m.close();
      }
    }
    case 'load': {
      const m = await engine.loadModel(req.dir, { device: req.device });
      await models.get(req.key)?.close();
      models.set(req.key, m);
      return { manifest: m.manifest } satisfies HostReplies['load'];
    }
    case 'unload': {
      const m = models.get(req.key);
      models.delete(req.key);
      await m?.close();
      return { unloaded: Boolean(m) } satisfies HostReplies['unload'];
    }
  }
}

function wireError(e: unknown, aborted: boolean): WorkerError {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const abort = aborted || err.name === 'AbortError' || code === 'ABORT_ERR';
  return {
    name: abort ? 'AbortError' : err.name,
    message: err.message,
    ...(abort ? { code: 'ABORT_ERR' } : typeof code === 'string' ? { code } : {}),
    ...(err.stack ? { stack: err.stack } : {}),
  };
}

port.onMessage((msg: ToWorker) => {
  if (msg.type === 'cancel') {
    jobs.get(msg.id)?.abort();
    return;
  }
  const ac = new AbortController();
  jobs.set(msg.id, ac);
  const args: unknown[] = 'args' in msg.req ? [...msg.req.args] : [];
  if (msg.ctx !== null) {
    const ctx: LongRunning = { signal: ac.signal, onProgress: throttledProgress(msg.id) };
    args[msg.ctx] = { ...(args[msg.ctx] as object | undefined), ...ctx };
  }
  dispatch(msg.req, args)
    .then((result) => port.post({ type: 'result', id: msg.id, result }))
    .catch((e: unknown) => port.post({ type: 'error', id: msg.id, error: wireError(e, ac.signal.aborted) }))
    .finally(() => jobs.delete(msg.id));
});

port.post({ type: 'ready' });
