// AVX-512F kernels (Skylake-SP, Ice Lake, Zen 4/5). One zmm register holds the 16 lanes of coreset_simd.h; its
// reduction splits it into the same lo/hi halves as the AVX2 table so both sum in the same order.
#include "coreset_simd.h"
#include "simd_half.h"

#if PL_X86_SIMD
#include <immintrin.h>

// GCC 12 warns inside its own _mm512_castps512_ps256 (an intentionally undefined upper half).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace patchline::simd {
namespace {

#define PL_TARGET __attribute__((target("avx512f,avx2,fma,f16c")))

PL_TARGET inline __m512 load16(const float* p) { return _mm512_loadu_ps(p); }

PL_TARGET inline __m512 load16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

PL_TARGET inline float reduce(__m512 acc) {
  const __m256 lo = _mm512_castps512_ps256(acc);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1));
  const __m256 s8 = _mm256_add_ps(lo, hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

PL_TARGET inline float sqrt1(float s) { return _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(s))); }

template <class T>
PL_TARGET inline float dist1(const T* x, const float* y, size_t dp) {
  __m512 acc = _mm512_setzero_ps();
  for (size_t j = 0; j < dp; j += 16) {
    const __m512 d = _mm512_sub_ps(load16(x + j), _mm512_loadu_ps(y + j));
    acc = _mm512_fmadd_ps(d, d, acc);
  }
  return sqrt1(reduce(acc));
}

// Eight rows at once. The eight accumulators are reduced together by cross-row shuffles that pair exactly the lanes
// reduce() pairs (l + l+8, + l+4, + l+2, + l+1), so each sum is bit-identical to reduce()'s, at a fraction of its
// shuffles; the eight square roots are one instruction.
template <class T>
PL_TARGET inline void dist8(const T* const x[8], const float* y, size_t dp, float out[8]) {
  __m512 acc[8];
  for (int q = 0; q < 8; ++q) acc[q] = _mm512_setzero_ps();
  for (size_t j = 0; j < dp; j += 16) {
    const __m512 yv = _mm512_loadu_ps(y + j);
    for (int q = 0; q < 8; ++q) {
      const __m512 d = _mm512_sub_ps(load16(x[q] + j), yv);
      acc[q] = _mm512_fmadd_ps(d, d, acc[q]);
    }
  }
  // l + l+8: rows (2i, 2i+1) -> [row 2i: 8 lanes | row 2i+1: 8 lanes]
  __m512 u[4];
  for (int i = 0; i < 4; ++i) {
    const __m512 lo = _mm512_shuffle_f32x4(acc[2 * i], acc[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 hi = _mm512_shuffle_f32x4(acc[2 * i], acc[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2));
    u[i] = _mm512_add_ps(lo, hi);
  }
  // l + l+4: 128-bit block k of w[i] holds row 4i+k's 4 partial sums
  __m512 w[2];
  for (int i = 0; i < 2; ++i) {
    const __m512 a = _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 b = _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1));
    w[i] = _mm512_add_ps(a, b);
  }
  // l + l+2: block k = [row k: 2 sums, row k+4: 2 sums]
  const __m512 z = _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(1, 0, 1, 0)),
                                 _mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(3, 2, 3, 2)));
  // l + l+1: lane 0 of block k = row k, lane 2 = row k+4
  const __m512 r = _mm512_add_ps(z, _mm512_shuffle_ps(z, z, _MM_SHUFFLE(2, 3, 0, 1)));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 2, 6, 10, 14, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256 sums = _mm512_castps512_ps256(_mm512_permutexvar_ps(order, r));
  _mm256_storeu_ps(out, _mm256_sqrt_ps(sums));
}

// Whole groups of 16; the .inl converts the tail with the (bit-identical) portable code.
PL_TARGET inline size_t halfToFloatBulk(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, load16(in + i));
  return i;
}

PL_TARGET inline size_t floatToHalfBulk(const float* in, uint16_t* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  return i;
}

PL_TARGET inline float dot1(const float* x, const float* w, size_t dp) {
  __m512 acc = _mm512_setzero_ps();
  for (size_t j = 0; j < dp; j += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(x + j), _mm512_loadu_ps(w + j), acc);
  return reduce(acc);
}

// 4 rows x 4 outputs per block: 16 accumulators, 4 row operands and one weight operand in the 32 zmm registers.
constexpr size_t kBlockRows = 4, kBlockCols = 4;

PL_TARGET inline void projectBlock(const float* x, size_t dp, const float* w, float* out, size_t os) {
  __m512 acc[4][4];
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_setzero_ps();
  for (size_t k = 0; k < dp; k += 16) {
    __m512 xv[4];
    for (int a = 0; a < 4; ++a) xv[a] = _mm512_loadu_ps(x + a * dp + k);
    for (int b = 0; b < 4; ++b) {
      const __m512 wv = _mm512_loadu_ps(w + b * dp + k);
      for (int a = 0; a < 4; ++a) acc[a][b] = _mm512_fmadd_ps(xv[a], wv, acc[a][b]);
    }
  }
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) out[a * os + b] = reduce(acc[a][b]);
}

#include "simd_loops.inl"

const Kernels table = PL_KERNEL_TABLE("avx512");

}  // namespace

const Kernels* const kAvx512Kernels = &table;

}  // namespace patchline::simd

#endif
