// The one way native/lib calls the addon: argument checks, AbortSignal wiring, and the Error a failure rejects with.
//
// Error contract (native/INDEX.md, "Errors"), the same for the index, the coreset samplers and the epsilon-net:
//   - bad arguments throw (or reject, from async methods) before any native call: a TypeError with code
//     ERR_INVALID_ARG_TYPE or a RangeError with code ERR_OUT_OF_RANGE, the message naming the argument;
//   - an abort rejects with an Error named 'AbortError', code 'ABORT_ERR', cause = signal.reason;
//   - a native failure rejects with an Error whose message is `${what}: ${native message}` and whose code is the
//     addon's (ERR_PATCHLINE_INPUT, _STATE, _IO, _FAISS, _OUT_OF_MEMORY, _NATIVE; native/src/native_error.h);
//   - every rejection carries the caller's stack: it is captured when the call is made, before the work is queued
//     (as sharp does), because an Error created when the worker thread finishes has no JS frames at all.
import { binding, type RawCancelToken } from './binding';

export type NativeErrorCode =
  | 'ABORT_ERR'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_PATCHLINE_INPUT'
  | 'ERR_PATCHLINE_STATE'
  | 'ERR_PATCHLINE_IO'
  | 'ERR_PATCHLINE_FAISS'
  | 'ERR_PATCHLINE_OUT_OF_MEMORY'
  | 'ERR_PATCHLINE_NATIVE';

export interface NativeError extends Error {
  code: NativeErrorCode;
}

type ErrorClass = new (message: string, options?: ErrorOptions) => Error;

function make(Class: ErrorClass, message: string, code: NativeErrorCode, cause?: unknown, site?: Error): NativeError {
  const err = new Class(message, cause === undefined ? undefined : { cause }) as NativeError;
  err.code = code;
  if (code === 'ABORT_ERR') err.name = 'AbortError';
  if (site?.stack) {
    // The site's header is a bare "Error" line; keep its frames under this error's own header.
    const frames = site.stack.slice(site.stack.indexOf('\n') + 1);
    err.stack = `${err.name}: ${err.message}\n${frames}`;
  }
  return err;
}

/** The rejection of an aborted operation: name 'AbortError', code 'ABORT_ERR', cause = the signal's reason. */
export function abortError(what: string, signal?: AbortSignal, site?: Error): NativeError {
  return make(Error, `${what}: the operation was aborted`, 'ABORT_ERR', signal?.reason, site);
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err as Partial<NativeError>).code === 'ABORT_ERR';
}

export interface CallOptions {
  /** Not checked here: `start` validates it with Args.signal; anything but an AbortSignal is ignored. */
  signal?: AbortSignal;
  /** Give `start` a token even without a signal (it may cancel the work itself, e.g. when a callback throws). */
  cancellable?: boolean;
}

/**
 * Runs one native operation of `what` (e.g. 'FaissIndex.search'). Call it synchronously from the public method,
 * before any await, so that the stack it captures names the caller. `start` may run later (a queued operation);
 * it gets a CancelToken that the signal cancels (undefined without a signal), and is not called at all when the
 * signal has fired by then.
 */
export function callNative<T>(
  what: string,
  start: (token: RawCancelToken | undefined) => Promise<T> | T,
  options: CallOptions = {},
): Promise<T> {
  const site = new Error();
  Error.captureStackTrace(site, callNative);
  const signal = options.signal instanceof AbortSignal ? options.signal : undefined;
  if (signal?.aborted) return Promise.reject(abortError(what, signal, site));
  const token = signal || options.cancellable ? new (binding().CancelToken)() : undefined;
  const onAbort = () => token?.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const run = async (): Promise<T> => {
    if (signal?.aborted) throw abortError(what, signal, site);
    return start(token);
  };
  return run().then(
    (value) => {
      signal?.removeEventListener('abort', onAbort);
      return value;
    },
    (err: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      throw wrapNativeError(what, err, signal, site);
    },
  );
}

function wrapNativeError(what: string, err: unknown, signal: AbortSignal | undefined, site: Error): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as Partial<NativeError>).code;
  if (code === 'ABORT_ERR' || signal?.aborted) return abortError(what, signal, site);
  const Class: ErrorClass = err instanceof RangeError ? RangeError : err instanceof TypeError ? TypeError : Error;
  const message = err.message.startsWith(`${what}: `) ? err.message : `${what}: ${err.message}`;
  return make(Class, message, code ?? 'ERR_PATCHLINE_NATIVE', err, site);
}

/**
 * Argument checks for one public function: each failure throws a TypeError (ERR_INVALID_ARG_TYPE) or RangeError
 * (ERR_OUT_OF_RANGE) whose message is `${what}: ` and names the argument.
 */
export class Args {
  constructor(readonly what: string) {}

  type(message: string): never {
    throw make(TypeError, `${this.what}: ${message}`, 'ERR_INVALID_ARG_TYPE');
  }

  range(message: string): never {
    throw make(RangeError, `${this.what}: ${message}`, 'ERR_OUT_OF_RANGE');
  }

  /** A safe integer in [lo, hi]. */
  integer(value: unknown, name: string, lo: number, hi: number, range = `[${lo}, ${hi}]`): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < lo || value > hi) {
      this.range(`${name} must be an integer in ${range}, got ${String(value)}`);
    }
    return value;
  }

  positiveInteger(value: unknown, name: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      this.range(`${name} must be a positive integer, got ${String(value)}`);
    }
    return value;
  }

  /** A finite number >= min. */
  finite(value: unknown, name: string, min: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      this.range(`${name} must be a finite number >= ${min}, got ${String(value)}`);
    }
    return value;
  }

  /** A Float32Array of whole rows of `dim` floats; returns the row count. */
  rows(x: unknown, dim: number, name: string, allowEmpty = true): number {
    if (!(x instanceof Float32Array)) this.type(`${name} must be a Float32Array`);
    if (x.length % dim !== 0) this.range(`${name} length ${x.length} is not a multiple of the dimension ${dim}`);
    if (!allowEmpty && x.length === 0) this.range(`${name} is empty`);
    return x.length / dim;
  }

  signal(value: unknown, name = 'signal'): AbortSignal | undefined {
    if (value !== undefined && !(value instanceof AbortSignal)) this.type(`${name} must be an AbortSignal`);
    return value;
  }

  callback<F extends (...args: never[]) => unknown>(value: unknown, name: string): F | undefined {
    if (value !== undefined && typeof value !== 'function') this.type(`${name} must be a function`);
    return value as F | undefined;
  }

  object<T extends object>(value: unknown, name: string): T {
    if (typeof value !== 'object' || value === null) this.type(`${name} must be an object`);
    return value as T;
  }
}
