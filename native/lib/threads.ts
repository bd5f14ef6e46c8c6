import { binding } from './binding';
import { Args } from './native-call';

/**
 * Threads (OpenMP) of the native jobs this JS thread starts: Faiss, the coreset kernels, the epsilon-net. Kept per JS
 * thread, so the main thread and each worker thread set their own.
 */
export function setNumThreads(n: number): void {
  new Args('setNumThreads').positiveInteger(n, 'threads');
  binding().setNumThreads(n);
}

export function getNumThreads(): number {
  return binding().getNumThreads();
}
