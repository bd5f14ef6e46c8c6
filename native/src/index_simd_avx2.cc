// AVX2 + FMA + F16C instance of index_simd_impl.h. Compiled for that ISA by the pragma below, and only ever called
// after the CPU check in simd_dispatch.cc.
#include "simd_dispatch.h"

#if PL_X86_SIMD

#pragma GCC target("avx2,fma,f16c")
#include <immintrin.h>

#include "index_simd.h"

namespace patchline {
namespace {

struct V {
  static constexpr size_t W = 8;
  static constexpr int MR = 6;  // 6 queries x 2 panels = 12 of the 16 ymm registers as accumulators
  static constexpr int NR = 2;
  using reg = __m256;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg set1(float v) { return _mm256_set1_ps(v); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg fmadd(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
  static float reduceAdd(reg a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float reduceMin(reg a) {
    __m128 s = _mm_min_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    s = _mm_min_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static void sum4(reg a, reg b, reg c, reg d, float* out) {
    __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
  }
  static reg loadU8(const uint8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static reg loadF16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static float scalarF16(uint16_t h) { return _cvtsh_ss(h); }
  static size_t compressBelow(const float* v, float bound, uint32_t base, uint32_t* out) {
    int m = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(v), _mm256_set1_ps(bound), _CMP_LT_OQ));
    size_t count = 0;
    while (m != 0) {
      out[count++] = base + static_cast<uint32_t>(__builtin_ctz(static_cast<unsigned>(m)));
      m &= m - 1;
    }
    return count;
  }
};

#include "index_simd_impl.h"

}  // namespace

extern const SimdKernels kAvx2Kernels = {"avx2", kPanel, l2sqr, scanF32, scanSq8, scanF16, below, pack, l2Tile};

}  // namespace patchline

#endif
