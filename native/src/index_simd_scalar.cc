// Portable instance of index_simd_impl.h: an 8-lane "register" of plain floats that the compiler maps onto whatever
// the baseline target has (SSE2 on x86-64, NEON on arm64). Used when the CPU has no AVX2, and as the reference
// that the vector kernels are tested against.
#include <cstring>

#include "index_simd.h"

namespace patchline {
namespace {

struct V {
  static constexpr size_t W = 8;
  static constexpr int MR = 4;
  static constexpr int NR = 1;
  struct reg {
    float v[W];
  };
  static reg zero() { return set1(0.0f); }
  static reg load(const float* p) {
    reg r;
    std::memcpy(r.v, p, sizeof(r.v));
    return r;
  }
  static void store(float* p, reg a) { std::memcpy(p, a.v, sizeof(a.v)); }
  static reg set1(float x) {
    reg r;
    for (size_t l = 0; l < W; l++) r.v[l] = x;
    return r;
  }
  static reg add(reg a, reg b) {
    for (size_t l = 0; l < W; l++) a.v[l] += b.v[l];
    return a;
  }
  static reg sub(reg a, reg b) {
    for (size_t l = 0; l < W; l++) a.v[l] -= b.v[l];
    return a;
  }
  static reg mul(reg a, reg b) {
    for (size_t l = 0; l < W; l++) a.v[l] *= b.v[l];
    return a;
  }
  static reg fmadd(reg a, reg b, reg c) {
    for (size_t l = 0; l < W; l++) c.v[l] += a.v[l] * b.v[l];
    return c;
  }
  static reg min(reg a, reg b) {
    for (size_t l = 0; l < W; l++) a.v[l] = b.v[l] < a.v[l] ? b.v[l] : a.v[l];
    return a;
  }
  static float reduceAdd(reg a) {
    float s = 0.0f;
    for (size_t l = 0; l < W; l++) s += a.v[l];
    return s;
  }
  static float reduceMin(reg a) {
    float m = a.v[0];
    for (size_t l = 1; l < W; l++) m = a.v[l] < m ? a.v[l] : m;
    return m;
  }
  static void sum4(reg a, reg b, reg c, reg d, float* out) {
    out[0] = reduceAdd(a);
    out[1] = reduceAdd(b);
    out[2] = reduceAdd(c);
    out[3] = reduceAdd(d);
  }
  static reg loadU8(const uint8_t* p) {
    reg r;
    for (size_t l = 0; l < W; l++) r.v[l] = static_cast<float>(p[l]);
    return r;
  }
  static reg loadF16(const uint16_t* p) {
    reg r;
    for (size_t l = 0; l < W; l++) r.v[l] = scalarF16(p[l]);
    return r;
  }
  static size_t compressBelow(const float* v, float bound, uint32_t base, uint32_t* out) {
    size_t count = 0;
    for (size_t l = 0; l < W; l++) {
      out[count] = base + static_cast<uint32_t>(l);
      count += v[l] < bound ? 1 : 0;
    }
    return count;
  }
  // IEEE binary16 -> binary32, including subnormals, infinities and NaN.
  static float scalarF16(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t mant = h & 0x3FFu;
    uint32_t bits;
    if (exp == 0) {
      if (mant == 0) {
        bits = sign;
      } else {
        int e = -1;
        do {
          e++;
          mant <<= 1;
        } while ((mant & 0x400u) == 0);
        bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3FFu) << 13;
      }
    } else if (exp == 0x1F) {
      bits = sign | 0x7F800000u | mant << 13;
    } else {
      bits = sign | (exp + 127 - 15) << 23 | mant << 13;
    }
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
  }
};

#include "index_simd_impl.h"

}  // namespace

extern const SimdKernels kScalarKernels = {"scalar", kPanel, l2sqr, scanF32, scanSq8, scanF16, below, pack, l2Tile};

}  // namespace patchline
