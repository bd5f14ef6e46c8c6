// Runtime choice of the kernel tables (simd_dispatch.h): detection, the PATCHLINE_SIMD override, and the accessors
// of both table families.
#include "simd_dispatch.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "coreset_simd.h"
#include "index_simd.h"

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

bool parseLevel(const char* name, Level* level) {
  for (Level l : {Level::Scalar, Level::Avx2, Level::Avx512}) {
    if (std::strcmp(name, levelName(l)) == 0) {
      *level = l;
      return true;
    }
  }
  return false;
}

bool levelSupported(Level level) {
  switch (level) {
    case Level::Scalar:
      return true;
#if PL_X86_SIMD
    case Level::Avx2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case Level::Avx512:
      return levelSupported(Level::Avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#endif
    default:
      return false;
  }
}

Level detectLevel() {
  static const Level detected = [] {
    if (levelSupported(Level::Avx512)) return Level::Avx512;
    if (levelSupported(Level::Avx2)) return Level::Avx2;
    return Level::Scalar;
  }();
  return detected;
}

namespace {

Level clamp(Level requested) {
  return static_cast<int>(requested) <= static_cast<int>(detectLevel()) ? requested : detectLevel();
}

Level defaultLevel() {
  static const Level level = [] {
    const char* env = std::getenv("PATCHLINE_SIMD");
    if (env == nullptr || *env == '\0' || std::strcmp(env, "auto") == 0) return detectLevel();
    Level requested;
    if (!parseLevel(env, &requested)) {
      std::fprintf(stderr, "patchline: PATCHLINE_SIMD=%s is not one of scalar, avx2, avx512, auto; using %s\n", env,
                   levelName(detectLevel()));
      return detectLevel();
    }
    return clamp(requested);
  }();
  return level;
}

std::atomic<int> active{-1};

}  // namespace

Level activeLevel() {
  int v = active.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(defaultLevel());
    active.store(v, std::memory_order_relaxed);
  }
  return static_cast<Level>(v);
}

Level setActiveLevel(Level requested) {
  Level level = clamp(requested);
  active.store(static_cast<int>(level), std::memory_order_relaxed);
  return level;
}

Level resetActiveLevel() { return setActiveLevel(defaultLevel()); }

const Kernels& activeKernels() {
#if PL_X86_SIMD
  switch (activeLevel()) {
    case Level::Avx512:
      return *kAvx512Kernels;
    case Level::Avx2:
      return *kAvx2Kernels;
    default:
      break;
  }
#endif
  return *kScalarKernels;
}

}  // namespace patchline::simd

namespace patchline {

const SimdKernels& indexKernels() {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (simd::activeLevel()) {
    case simd::Level::Avx512:
      return kAvx512Kernels;
    case simd::Level::Avx2:
      return kAvx2Kernels;
    default:
      break;
  }
#endif
  return kScalarKernels;
}

}  // namespace patchline
