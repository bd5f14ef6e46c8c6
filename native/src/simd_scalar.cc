// Portable kernels: the fallback on CPUs without AVX2/FMA/F16C and on non-x86 builds. They emulate the 16-lane order
// of coreset_simd.h with std::fma so their results match the SIMD tables bit for bit.
#include <cmath>

#include "coreset_simd.h"
#include "simd_half.h"

namespace patchline::simd {
namespace {

#define PL_TARGET

inline float load(const float* p) { return *p; }
inline float load(const uint16_t* p) { return halfToFloat(*p); }

inline float reduce16(float acc[16]) {
  for (int l = 0; l < 8; ++l) acc[l] += acc[l + 8];
  for (int l = 0; l < 4; ++l) acc[l] += acc[l + 4];
  for (int l = 0; l < 2; ++l) acc[l] += acc[l + 2];
  return acc[0] + acc[1];
}

template <class T>
float dist1(const T* x, const float* y, size_t dp) {
  float acc[16] = {};
  for (size_t j = 0; j < dp; j += 16) {
    for (int l = 0; l < 16; ++l) {
      const float d = load(x + j + l) - y[j + l];
      acc[l] = std::fma(d, d, acc[l]);
    }
  }
  return std::sqrt(reduce16(acc));
}

template <class T>
void dist8(const T* const x[8], const float* y, size_t dp, float out[8]) {
  for (int q = 0; q < 8; ++q) out[q] = dist1(x[q], y, dp);
}

inline size_t halfToFloatBulk(const uint16_t*, float*, size_t) { return 0; }
inline size_t floatToHalfBulk(const float*, uint16_t*, size_t) { return 0; }

float dot1(const float* x, const float* w, size_t dp) {
  float acc[16] = {};
  for (size_t j = 0; j < dp; j += 16) {
    for (int l = 0; l < 16; ++l) acc[l] = std::fma(x[j + l], w[j + l], acc[l]);
  }
  return reduce16(acc);
}

constexpr size_t kBlockRows = 1, kBlockCols = 1;

inline void projectBlock(const float* x, size_t dp, const float* w, float* out, size_t) { out[0] = dot1(x, w, dp); }

#include "simd_loops.inl"

const Kernels table = PL_KERNEL_TABLE("scalar");

}  // namespace

const Kernels* const kScalarKernels = &table;

}  // namespace patchline::simd
