// AVX-512 instance of index_simd_impl.h (F, BW, VL, DQ). Compiled for that ISA by the pragma below, and only ever
// called after the CPU check in simd_dispatch.cc.
#include "simd_dispatch.h"

#if PL_X86_SIMD

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")
// GCC 12's own _mm512_reduce_* and cast intrinsics trip these (a known false positive in avx512fintrin.h).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "index_simd.h"

namespace patchline {
namespace {

struct V {
  static constexpr size_t W = 16;
  static constexpr int MR = 8;  // 8 queries x 2 panels = 16 of the 32 zmm registers as accumulators
  static constexpr int NR = 2;
  using reg = __m512;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg set1(float v) { return _mm512_set1_ps(v); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg fmadd(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg min(reg a, reg b) { return _mm512_min_ps(a, b); }
  static float reduceAdd(reg a) { return _mm512_reduce_add_ps(a); }
  static float reduceMin(reg a) { return _mm512_reduce_min_ps(a); }
  static void sum4(reg a, reg b, reg c, reg d, float* out) {
    __m256 a8 = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
    __m256 b8 = _mm256_add_ps(_mm512_castps512_ps256(b), _mm512_extractf32x8_ps(b, 1));
    __m256 c8 = _mm256_add_ps(_mm512_castps512_ps256(c), _mm512_extractf32x8_ps(c, 1));
    __m256 d8 = _mm256_add_ps(_mm512_castps512_ps256(d), _mm512_extractf32x8_ps(d, 1));
    __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a8, b8), _mm256_hadd_ps(c8, d8));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
  }
  static reg loadU8(const uint8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static reg loadF16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static float scalarF16(uint16_t h) { return _cvtsh_ss(h); }
  static size_t compressBelow(const float* v, float bound, uint32_t base, uint32_t* out) {
    __mmask16 m = _mm512_cmp_ps_mask(_mm512_loadu_ps(v), _mm512_set1_ps(bound), _CMP_LT_OQ);
    if (m == 0) return 0;
    __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(base)),
                                   _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    _mm512_mask_compressstoreu_epi32(out, m, idx);
    return static_cast<size_t>(__builtin_popcount(m));
  }
};

#include "index_simd_impl.h"

}  // namespace

extern const SimdKernels kAvx512Kernels = {"avx512", kPanel, l2sqr, scanF32, scanSq8, scanF16, below, pack, l2Tile};

}  // namespace patchline

#endif
