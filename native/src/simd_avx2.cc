// AVX2 + FMA + F16C kernels (Haswell / Zen 1 and later). The 16 lanes of coreset_simd.h live in two 8-float registers:
// lo holds lanes 0-7, hi lanes 8-15, so lo + hi is the first step of the fixed reduction tree.
#include "coreset_simd.h"
#include "simd_half.h"

#if PL_X86_SIMD
#include <immintrin.h>

namespace patchline::simd {
namespace {

#define PL_TARGET __attribute__((target("avx2,fma,f16c")))

PL_TARGET inline void load16(const float* p, __m256& lo, __m256& hi) {
  lo = _mm256_loadu_ps(p);
  hi = _mm256_loadu_ps(p + 8);
}

PL_TARGET inline void load16(const uint16_t* p, __m256& lo, __m256& hi) {
  lo = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  hi = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)));
}

PL_TARGET inline float reduce(__m256 lo, __m256 hi) {
  const __m256 s8 = _mm256_add_ps(lo, hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

PL_TARGET inline float sqrt1(float s) { return _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(s))); }

template <class T>
PL_TARGET inline float dist1(const T* x, const float* y, size_t dp) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  for (size_t j = 0; j < dp; j += 16) {
    __m256 lo, hi;
    load16(x + j, lo, hi);
    lo = _mm256_sub_ps(lo, _mm256_loadu_ps(y + j));
    hi = _mm256_sub_ps(hi, _mm256_loadu_ps(y + j + 8));
    a0 = _mm256_fmadd_ps(lo, lo, a0);
    a1 = _mm256_fmadd_ps(hi, hi, a1);
  }
  return sqrt1(reduce(a0, a1));
}

// Eight rows at once. The accumulators are reduced together by cross-row shuffles that pair exactly the lanes
// reduce() pairs (l + l+8, + l+4, + l+2, + l+1), so each sum is bit-identical to reduce()'s.
template <class T>
PL_TARGET inline void dist8(const T* const x[8], const float* y, size_t dp, float out[8]) {
  __m256 s8[8];
  for (int half = 0; half < 2; ++half) {
    // Four rows at a time keep the 8 accumulators in registers.
    __m256 lo[4], hi[4];
    for (int q = 0; q < 4; ++q) lo[q] = hi[q] = _mm256_setzero_ps();
    for (size_t j = 0; j < dp; j += 16) {
      const __m256 ylo = _mm256_loadu_ps(y + j), yhi = _mm256_loadu_ps(y + j + 8);
      for (int q = 0; q < 4; ++q) {
        __m256 l, h;
        load16(x[4 * half + q] + j, l, h);
        l = _mm256_sub_ps(l, ylo);
        h = _mm256_sub_ps(h, yhi);
        lo[q] = _mm256_fmadd_ps(l, l, lo[q]);
        hi[q] = _mm256_fmadd_ps(h, h, hi[q]);
      }
    }
    for (int q = 0; q < 4; ++q) s8[4 * half + q] = _mm256_add_ps(lo[q], hi[q]);  // l + l+8
  }
  // l + l+4: rows (2i, 2i+1) -> [row 2i: 4 sums | row 2i+1: 4 sums]
  __m256 u[4];
  for (int i = 0; i < 4; ++i) {
    u[i] = _mm256_add_ps(_mm256_permute2f128_ps(s8[2 * i], s8[2 * i + 1], 0x20),
                         _mm256_permute2f128_ps(s8[2 * i], s8[2 * i + 1], 0x31));
  }
  // l + l+2: 128-bit half h of z[i] = [row 4i+h: 2 sums, row 4i+2+h: 2 sums]
  __m256 z[2];
  for (int i = 0; i < 2; ++i) {
    z[i] = _mm256_add_ps(_mm256_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm256_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  }
  // l + l+1: lane 0 of half h = row 4i+h, lane 2 = row 4i+2+h
  for (int i = 0; i < 2; ++i) {
    const __m256 r = _mm256_add_ps(z[i], _mm256_shuffle_ps(z[i], z[i], _MM_SHUFFLE(2, 3, 0, 1)));
    const __m256 s = _mm256_sqrt_ps(r);
    alignas(32) float v[8];
    _mm256_store_ps(v, s);
    out[4 * i + 0] = v[0];
    out[4 * i + 1] = v[4];
    out[4 * i + 2] = v[2];
    out[4 * i + 3] = v[6];
  }
}

// Whole groups of 8; the .inl converts the tail with the (bit-identical) portable code.
PL_TARGET inline size_t halfToFloatBulk(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  }
  return i;
}

PL_TARGET inline size_t floatToHalfBulk(const float* in, uint16_t* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  return i;
}

PL_TARGET inline float dot1(const float* x, const float* w, size_t dp) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  for (size_t j = 0; j < dp; j += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(w + j), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j + 8), _mm256_loadu_ps(w + j + 8), a1);
  }
  return reduce(a0, a1);
}

// 2 rows x 2 outputs per block: 8 accumulators plus operands fit the 16 ymm registers.
constexpr size_t kBlockRows = 2, kBlockCols = 2;

PL_TARGET inline void projectBlock(const float* x, size_t dp, const float* w, float* out, size_t os) {
  const float* x0 = x;
  const float* x1 = x + dp;
  const float* w0 = w;
  const float* w1 = w + dp;
  __m256 a00l = _mm256_setzero_ps(), a00h = a00l, a01l = a00l, a01h = a00l, a10l = a00l, a10h = a00l, a11l = a00l,
         a11h = a00l;
  for (size_t k = 0; k < dp; k += 16) {
    const __m256 x0l = _mm256_loadu_ps(x0 + k), x0h = _mm256_loadu_ps(x0 + k + 8);
    const __m256 x1l = _mm256_loadu_ps(x1 + k), x1h = _mm256_loadu_ps(x1 + k + 8);
    const __m256 w0l = _mm256_loadu_ps(w0 + k), w0h = _mm256_loadu_ps(w0 + k + 8);
    const __m256 w1l = _mm256_loadu_ps(w1 + k), w1h = _mm256_loadu_ps(w1 + k + 8);
    a00l = _mm256_fmadd_ps(x0l, w0l, a00l);
    a00h = _mm256_fmadd_ps(x0h, w0h, a00h);
    a01l = _mm256_fmadd_ps(x0l, w1l, a01l);
    a01h = _mm256_fmadd_ps(x0h, w1h, a01h);
    a10l = _mm256_fmadd_ps(x1l, w0l, a10l);
    a10h = _mm256_fmadd_ps(x1h, w0h, a10h);
    a11l = _mm256_fmadd_ps(x1l, w1l, a11l);
    a11h = _mm256_fmadd_ps(x1h, w1h, a11h);
  }
  out[0] = reduce(a00l, a00h);
  out[1] = reduce(a01l, a01h);
  out[os] = reduce(a10l, a10h);
  out[os + 1] = reduce(a11l, a11h);
}

#include "simd_loops.inl"

const Kernels table = PL_KERNEL_TABLE("avx2");

}  // namespace

const Kernels* const kAvx2Kernels = &table;

}  // namespace patchline::simd

#endif
