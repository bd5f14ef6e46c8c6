// NaN or Inf in a vector would silently poison k-means, HNSW links, coarse assignments or every distance: refuse
// it, naming the spot. Runs on the worker thread (a bit test per float, vectorised), so a large input never blocks JS.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "native_error.h"

namespace patchline {

inline void checkFinite(const float* x, size_t n, size_t d, const char* what) {
  const size_t total = n * d;
  const size_t block = 4096;
  for (size_t b = 0; b < total; b += block) {
    const size_t end = total < b + block ? total : b + block;
    uint32_t bad = 0;
    for (size_t i = b; i < end; i++) {
      uint32_t bits;
      std::memcpy(&bits, x + i, sizeof(bits));
      bad |= static_cast<uint32_t>((bits & 0x7F800000u) == 0x7F800000u);
    }
    if (bad == 0) continue;
    for (size_t i = b; i < end; i++) {
      if (!std::isfinite(x[i])) {
        throw UserError(std::string(what) + " contain " + (std::isnan(x[i]) ? "NaN" : "Infinity") + " at row " +
                        std::to_string(i / d) + ", column " + std::to_string(i % d));
      }
    }
  }
}

}  // namespace patchline
