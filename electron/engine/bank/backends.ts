// Where the engine gets its index and coreset implementations: native/ (Faiss + C++ kernels) by default. Tests and
// tools may inject others (e.g. an exact TypeScript index) through the `backends` option.
import type { Backends } from './knn';

export interface EngineBackends extends Backends {
  /** Threads for the native kernels (OpenMP), process-wide. */
  setThreads?(n: number): void;
}

export async function resolveBackends(given?: Partial<EngineBackends>): Promise<EngineBackends> {
  if (given?.index && given.coreset) return given as EngineBackends;
  const native = await nativeBackends();
  return { ...native, ...given };
}

async function nativeBackends(): Promise<EngineBackends> {
  throw new Error('The native index and coreset kernels are not wired into the engine yet (native/index.ts has no FaissIndex).');
}
