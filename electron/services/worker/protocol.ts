// Messages between main and an engine worker, derived from the engine's one interface (electron/engine/api.ts) the
// way electron-trpc derives a client from its router's type: a request names an Engine method (or a method of a
// Model the worker holds under a key) with that method's own arguments, and its reply is that method's result. No
// request is written out by hand here, so a change to the Engine interface changes the protocol with it.
//
// What cannot travel stays behind: the LongRunning callbacks (signal, onProgress) are taken off the argument that
// carries them and replaced in the worker by its own (cancel and progress messages). A Model cannot travel either:
// loadModel becomes `load` (the model stays in the worker under a key) and Model.close becomes `unload`.
import type { Device, Engine, LongRunning, Model, ModelManifest, Progress } from '../../engine/api';

type AsyncFn = (...args: never[]) => Promise<unknown>;
/** The names of T's methods that answer asynchronously: what a worker can serve. */
type AsyncMethods<T> = { [K in keyof T]: T[K] extends AsyncFn ? K : never }[keyof T];

export type EngineMethod = Exclude<AsyncMethods<Engine>, 'loadModel'>;
export type ModelMethod = Exclude<AsyncMethods<Model>, 'close'>;

export type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;
export type ResultOf<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;

/** An argument as it travels: a LongRunning options object without its callbacks. */
export type Wire<T> = T extends LongRunning ? Omit<T, keyof LongRunning> : T;
export type WireArgs<A extends readonly unknown[]> = { [I in keyof A]: Wire<A[I]> };

export type EngineRequest = { [K in EngineMethod]: { to: 'engine'; method: K; args: WireArgs<ArgsOf<Engine[K]>> } }[EngineMethod];
/** A call on the model held under `key`; with `dir`, a model not held is loaded for this call and closed after it. */
export type ModelRequest = { [K in ModelMethod]: { to: 'model'; key: string; dir?: string; method: K; args: WireArgs<ArgsOf<Model[K]>> } }[ModelMethod];
/** `load` holds a model for live inspection; `device` is the extractor's (the workstation's and `watch`'s setting). */
export type HostRequest = { to: 'load'; key: string; dir: string; device?: Device } | { to: 'unload'; key: string };
export type WorkerRequest = EngineRequest | ModelRequest | HostRequest;

/** The replies: the methods' own results; `load` answers with the model's manifest. */
export type EngineReply<K extends EngineMethod> = ResultOf<Engine[K]>;
export type ModelReply<K extends ModelMethod> = ResultOf<Model[K]>;
export interface HostReplies {
  load: { manifest: ModelManifest };
  unload: { unloaded: boolean };
}

/** Main's view of the engine in the worker: the Engine interface itself, but for loadModel. */
export type RemoteEngine = { [K in EngineMethod]: (...args: ArgsOf<Engine[K]>) => Promise<EngineReply<K>> };
/** Main's view of a model held in the worker: the Model interface's calls. */
export type RemoteModel = { [K in ModelMethod]: (...args: ArgsOf<Model[K]>) => Promise<ModelReply<K>> };

export type ToWorker =
  /** `ctx`: which argument carried the LongRunning options (the worker puts its own signal and onProgress back there). */
  | { type: 'call'; id: number; req: WorkerRequest; ctx: number | null }
  | { type: 'cancel'; id: number };

/** An error as it crosses: enough to rebuild it (and to map aborts, code ABORT_ERR, to the app's CANCELLED). */
export interface WorkerError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WorkerError }
  | { type: 'progress'; id: number; progress: Progress };

/** What a worker thread is started with. */
export interface WorkerInit {
  /** The module exporting `engine: Engine`. */
  engineModule: string;
  /** Nice steps the worker thread lowers its own CPU priority by (Linux: per thread). */
  nice?: number;
}

/** A model the worker was asked to use but does not hold. */
export const NOT_LOADED = 'NotLoaded';
