// The loops shared by every instruction set, included once per ISA file inside an anonymous namespace. Before the
// #include, the file defines PL_TARGET (its __attribute__((target))) and these primitives, with the lane order of
// coreset_simd.h:
//   float dist1(const T* x, const float* y, size_t dp);                       T = float or uint16_t (binary16)
//   void dist8(const T* const x[8], const float* y, size_t dp, float out[8]);           eight rows, same sums
//   float dot1(const float* x, const float* w, size_t dp);
//   size_t halfToFloatBulk(const uint16_t* in, float* out, size_t n), floatToHalfBulk(...): convert a prefix, return
//   its length (the rest goes through the portable simd_half.h code, bit-identical to F16C);
//   kBlockRows x kBlockCols dot products at once (out[a * os + b] = dot(x_a, w_b)), in the same lane order:
//   void projectBlock(const float* x, size_t dp, const float* w, float* out, size_t os);
// Everything here only sequences those calls, so the per-row arithmetic, and thus the result, is the same in each ISA.
// Keep this file free of standard-library templates: anything instantiated here would be compiled for the ISA.

template <class T>
PL_TARGET inline void prefetchRow(const T* row, size_t dp) {
#if defined(__GNUC__) || defined(__clang__)
  const char* p = reinterpret_cast<const char*>(row);
  for (size_t off = 0; off < dp * sizeof(T); off += 64) __builtin_prefetch(p + off);
#endif
}

constexpr size_t kMinUpdateAhead = 16;

template <class T>
PL_TARGET void minUpdate(const T* rows, size_t n, size_t dp, const float* y, float* value, uint32_t first,
                         Best* best) {
  float bv = best->value;
  uint32_t bi = best->index;
  float d[8];
  const T* x[8];
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t q = 0; q < 8; ++q) x[q] = rows + (i + q) * dp;
    // Sequential, but eight rows are read side by side: help the hardware prefetcher a few KiB ahead.
    if (i + kMinUpdateAhead + 8 <= n) {
      for (size_t q = 0; q < 8; ++q) prefetchRow(rows + (i + kMinUpdateAhead + q) * dp, dp);
    }
    dist8(x, y, dp, d);
    for (size_t q = 0; q < 8; ++q) {
      float v = value[i + q];
      if (d[q] < v) {
        v = d[q];
        value[i + q] = v;
      }
      if (v > bv) {
        bv = v;
        bi = first + static_cast<uint32_t>(i + q);
      }
    }
  }
  for (; i < n; ++i) {
    float v = value[i];
    const float di = dist1(rows + i * dp, y, dp);
    if (di < v) {
      v = di;
      value[i] = v;
    }
    if (v > bv) {
      bv = v;
      bi = first + static_cast<uint32_t>(i);
    }
  }
  best->value = bv;
  best->index = bi;
}

template <class T>
PL_TARGET bool updateRows(const T* rows, const uint32_t* pos, size_t n, size_t dp, const float* y, float* value,
                          uint32_t* owner, uint32_t who) {
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < n && i < kAhead; ++i) prefetchRow(rows + pos[i] * dp, dp);
  bool any = false;
  float d[8];
  const T* x[8];
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t q = i + kAhead; q < i + kAhead + 8 && q < n; ++q) prefetchRow(rows + pos[q] * dp, dp);
    for (size_t q = 0; q < 8; ++q) x[q] = rows + pos[i + q] * dp;
    dist8(x, y, dp, d);
    for (size_t q = 0; q < 8; ++q) {
      const uint32_t p = pos[i + q];
      if (d[q] < value[p]) {
        value[p] = d[q];
        owner[p] = who;
        any = true;
      }
    }
  }
  for (; i < n; ++i) {
    const uint32_t p = pos[i];
    const float dq = dist1(rows + p * dp, y, dp);
    if (dq < value[p]) {
      value[p] = dq;
      owner[p] = who;
      any = true;
    }
  }
  return any;
}

template <class T>
PL_TARGET void meanDist(const T* rows, size_t n, size_t dp, const float* starts, size_t nstarts, float* out) {
  float d[8];
  const T* x[8];
  const float count = static_cast<float>(nstarts);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t q = 0; q < 8; ++q) x[q] = rows + (i + q) * dp;
    float sum[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    for (size_t s = 0; s < nstarts; ++s) {
      dist8(x, starts + s * dp, dp, d);
      for (size_t q = 0; q < 8; ++q) sum[q] += d[q];
    }
    for (size_t q = 0; q < 8; ++q) out[i + q] = sum[q] / count;
  }
  for (; i < n; ++i) {
    float sum = 0.f;
    for (size_t s = 0; s < nstarts; ++s) sum += dist1(rows + i * dp, starts + s * dp, dp);
    out[i] = sum / count;
  }
}

template <class T>
PL_TARGET float distOne(const T* x, const float* y, size_t dp) {
  return dist1(x, y, dp);
}

PL_TARGET void halfToFloatN(const uint16_t* in, float* out, size_t n) {
  for (size_t i = halfToFloatBulk(in, out, n); i < n; ++i) out[i] = halfToFloat(in[i]);
}

PL_TARGET void floatToHalfN(const float* in, uint16_t* out, size_t n) {
  for (size_t i = floatToHalfBulk(in, out, n); i < n; ++i) out[i] = floatToHalf(in[i]);
}

PL_TARGET void project(const float* x, size_t rows, size_t dp, const float* w, size_t m, float* out, size_t os) {
  size_t r = 0;
  for (; r + kBlockRows <= rows; r += kBlockRows) {
    const float* xr = x + r * dp;
    size_t j = 0;
    for (; j + kBlockCols <= m; j += kBlockCols) projectBlock(xr, dp, w + j * dp, out + r * os + j, os);
    for (; j < m; ++j) {
      for (size_t a = 0; a < kBlockRows; ++a) out[(r + a) * os + j] = dot1(xr + a * dp, w + j * dp, dp);
    }
  }
  for (; r < rows; ++r) {
    for (size_t j = 0; j < m; ++j) out[r * os + j] = dot1(x + r * dp, w + j * dp, dp);
  }
}

#define PL_KERNEL_TABLE(NAME)                                                                                     \
  {                                                                                                               \
    NAME, &distOne<float>, &distOne<uint16_t>, &minUpdate<float>, &minUpdate<uint16_t>, &updateRows<float>,       \
        &updateRows<uint16_t>, &meanDist<float>, &meanDist<uint16_t>, &halfToFloatN, &floatToHalfN, &project     \
  }
