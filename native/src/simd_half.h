// IEEE binary16 <-> binary32 in portable C++, bit-identical to x86 F16C (vcvtph2ps / vcvtps2ph with round to nearest
// even), so the scalar kernels store exactly what the SIMD ones store.
#pragma once

#include <cstdint>
#include <cstring>

namespace patchline::simd {

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24, exact in binary32.
    return bitsFloat(sign | floatBits(static_cast<float>(mant) * 5.9604644775390625e-8f));
  }
  if (exp == 31) return bitsFloat(sign | 0x7f800000u | (mant << 13));
  return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

// Round to nearest even, overflow to infinity, subnormals kept (F. Giesen's float_to_half_fast3_rtne).
inline uint16_t floatToHalf(float f) {
  uint32_t x = floatBits(f);
  const uint32_t sign = x & 0x80000000u;
  x ^= sign;
  uint32_t o;
  if (x >= (127u + 16u) << 23) {
    o = x > 0x7f800000u ? 0x7e00u | ((x >> 13) & 0x3ffu) : 0x7c00u;
  } else if (x < 113u << 23) {
    const uint32_t magic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
    o = floatBits(bitsFloat(x) + bitsFloat(magic)) - magic;
  } else {
    const uint32_t mantOdd = (x >> 13) & 1u;
    x += ((15u - 127u) << 23) + 0xfffu;
    x += mantOdd;
    o = x >> 13;
  }
  return static_cast<uint16_t>(o | (sign >> 16));
}

}  // namespace patchline::simd
