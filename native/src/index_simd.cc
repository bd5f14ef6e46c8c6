#include "index_simd.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace patchline {
namespace {

bool cpuHasAvx2() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

bool cpuHasAvx512() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return cpuHasAvx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

const SimdKernels* byName(const char* level) {
  if (std::strcmp(level, "scalar") == 0) return &kScalarKernels;
#if defined(__x86_64__) && defined(__GNUC__)
  if (std::strcmp(level, "avx2") == 0 && cpuHasAvx2()) return &kAvx2Kernels;
  if (std::strcmp(level, "avx512") == 0 && cpuHasAvx512()) return &kAvx512Kernels;
#endif
  return nullptr;
}

const SimdKernels* best() {
  const char* forced = std::getenv("PATCHLINE_SIMD");
  if (forced != nullptr) {
    if (const SimdKernels* k = byName(forced)) return k;
  }
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpuHasAvx512()) return &kAvx512Kernels;
  if (cpuHasAvx2()) return &kAvx2Kernels;
#endif
  return &kScalarKernels;
}

std::atomic<const SimdKernels*> current{nullptr};

}  // namespace

const SimdKernels& simd() {
  const SimdKernels* k = current.load(std::memory_order_acquire);
  if (k == nullptr) {
    k = best();
    current.store(k, std::memory_order_release);
  }
  return *k;
}

bool setSimdLevel(const char* level) {
  const SimdKernels* k = std::strcmp(level, "auto") == 0 ? best() : byName(level);
  if (k == nullptr) return false;
  current.store(k, std::memory_order_release);
  return true;
}

const char* const* supportedSimdLevels(size_t* count) {
  static const char* const all[] = {"avx512", "avx2", "scalar"};
  size_t skip = cpuHasAvx512() ? 0 : cpuHasAvx2() ? 1 : 2;
  *count = 3 - skip;
  return all + skip;
}

}  // namespace patchline
