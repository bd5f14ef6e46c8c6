// The SIMD kernels the native code runs: one level for the coreset sampler and the index fast paths alike
// (native/src/simd_dispatch.h). The default is the best the CPU supports, or PATCHLINE_SIMD=scalar|avx2|avx512
// clamped to it; simdKernels(level) forces one process-wide, so tests and benchmarks can run every path the
// machine has and compare them.
import { binding } from './binding';
import { Args } from './native-call';

export type SimdLevel = 'scalar' | 'avx2' | 'avx512';

export interface SimdKernelInfo {
  /** The level new native calls use. */
  active: SimdLevel;
  /** The best this CPU supports. */
  detected: SimdLevel;
  /** Every level this CPU can run, best first. */
  available: SimdLevel[];
}

/** Which SIMD level the native kernels use; a level forces it (clamped to the CPU's), 'auto' restores the default. */
export function simdKernels(level?: SimdLevel | 'auto'): SimdKernelInfo {
  if (level !== undefined && level !== 'auto' && level !== 'scalar' && level !== 'avx2' && level !== 'avx512') {
    new Args('simdKernels').type(`level must be 'scalar', 'avx2', 'avx512' or 'auto', got ${String(level)}`);
  }
  return binding().simdKernels(level) as SimdKernelInfo;
}
