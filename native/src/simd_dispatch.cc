// Runtime choice of the kernel table: the best the CPU supports, never a compile-time -march.
#include <atomic>
#include <stdexcept>
#include <string>

#include "coreset_simd.h"

namespace patchline::simd {

const char* levelName(Level level) {
  switch (level) {
    case Level::Avx512:
      return "avx512";
    case Level::Avx2:
      return "avx2";
    default:
      return "scalar";
  }
}

bool levelSupported(Level level) {
  switch (level) {
    case Level::Scalar:
      return true;
#if PL_X86_SIMD
    case Level::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case Level::Avx512:
      return levelSupported(Level::Avx2) && __builtin_cpu_supports("avx512f");
#endif
    default:
      return false;
  }
}

Level detectLevel() {
  if (levelSupported(Level::Avx512)) return Level::Avx512;
  if (levelSupported(Level::Avx2)) return Level::Avx2;
  return Level::Scalar;
}

const Kernels& kernelsFor(Level level) {
  if (!levelSupported(level)) throw std::invalid_argument(std::string("this CPU has no ") + levelName(level));
#if PL_X86_SIMD
  if (level == Level::Avx512) return *kAvx512Kernels;
  if (level == Level::Avx2) return *kAvx2Kernels;
#endif
  return *kScalarKernels;
}

namespace {
std::atomic<int> active{-1};
}

Level activeLevel() {
  int v = active.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(detectLevel());
    active.store(v, std::memory_order_relaxed);
  }
  return static_cast<Level>(v);
}

const Kernels& activeKernels() { return kernelsFor(activeLevel()); }

void setActiveLevel(Level level) {
  kernelsFor(level);  // throws when unsupported
  active.store(static_cast<int>(level), std::memory_order_relaxed);
}

}  // namespace patchline::simd
