// The kernels of index_simd.h written once over a vector-traits type V, and compiled once per instruction set by
// index_simd_{avx512,avx2,scalar}.cc (each defines V, then includes this file inside an anonymous namespace so that
// nothing here has external linkage). Include nothing else from here: see index_simd.h.
//
// V provides: W (lanes), reg, zero(), load(const float*), set1(float), add, sub, mul, fmadd(a, b, c) = a * b + c,
// min, reduceAdd, reduceMin, sum4(a, b, c, d, float* out4), compressBelow(v, bound, base, out) (writes base + lane
// for the W lanes of v below bound, returns the count), loadU8(const uint8_t*) and loadF16(const uint16_t*)
// (W codes widened to floats), and scalarF16(uint16_t) for the tails.

inline float halfToFloat(uint16_t h) { return V::scalarF16(h); }

float l2sqr(const float* a, const float* b, size_t d) {
  typename V::reg acc0 = V::zero(), acc1 = V::zero();
  size_t i = 0;
  for (; i + 2 * V::W <= d; i += 2 * V::W) {
    typename V::reg d0 = V::sub(V::load(a + i), V::load(b + i));
    typename V::reg d1 = V::sub(V::load(a + i + V::W), V::load(b + i + V::W));
    acc0 = V::fmadd(d0, d0, acc0);
    acc1 = V::fmadd(d1, d1, acc1);
  }
  for (; i + V::W <= d; i += V::W) {
    typename V::reg d0 = V::sub(V::load(a + i), V::load(b + i));
    acc0 = V::fmadd(d0, d0, acc0);
  }
  float s = V::reduceAdd(V::add(acc0, acc1));
  for (; i < d; i++) {
    float t = a[i] - b[i];
    s += t * t;
  }
  return s;
}

// Decoders of W dimensions of stored vector j from dimension i (vector part), and of one dimension (tail).
struct F32Codes {
  const float* xs;
  size_t d;
  typename V::reg load(size_t j, size_t i) const { return V::load(xs + j * d + i); }
  float scalar(size_t j, size_t i) const { return xs[j * d + i]; }
};

struct Sq8Codes {
  const uint8_t* codes;
  size_t d;
  const float* scale;
  typename V::reg load(size_t j, size_t i) const { return V::mul(V::loadU8(codes + j * d + i), V::load(scale + i)); }
  float scalar(size_t j, size_t i) const { return static_cast<float>(codes[j * d + i]) * scale[i]; }
};

struct F16Codes {
  const uint16_t* codes;
  size_t d;
  typename V::reg load(size_t j, size_t i) const { return V::loadF16(codes + j * d + i); }
  float scalar(size_t j, size_t i) const { return halfToFloat(codes[j * d + i]); }
};

// NV stored vectors against NQ queries at once: each decoded chunk is reused NQ times, and the NV * NQ independent
// accumulators hide the FMA latency.
template <int NQ, int NV, class Codes>
inline void scanTile(const float* const* qs, const Codes& codes, size_t j0, size_t n, size_t d, float* out) {
  typename V::reg acc[NQ][NV];
  for (int q = 0; q < NQ; q++)
    for (int v = 0; v < NV; v++) acc[q][v] = V::zero();
  size_t i = 0;
  for (; i + V::W <= d; i += V::W) {
    typename V::reg x[NV];
    for (int v = 0; v < NV; v++) x[v] = codes.load(j0 + v, i);
    for (int q = 0; q < NQ; q++) {
      typename V::reg qv = V::load(qs[q] + i);
      for (int v = 0; v < NV; v++) {
        typename V::reg diff = V::sub(qv, x[v]);
        acc[q][v] = V::fmadd(diff, diff, acc[q][v]);
      }
    }
  }
  float sums[NQ][NV];
  if constexpr (NV == 4) {
    for (int q = 0; q < NQ; q++) V::sum4(acc[q][0], acc[q][1], acc[q][2], acc[q][3], sums[q]);
  } else {
    for (int q = 0; q < NQ; q++)
      for (int v = 0; v < NV; v++) sums[q][v] = V::reduceAdd(acc[q][v]);
  }
  for (; i < d; i++) {
    for (int v = 0; v < NV; v++) {
      float x = codes.scalar(j0 + v, i);
      for (int q = 0; q < NQ; q++) {
        float t = qs[q][i] - x;
        sums[q][v] += t * t;
      }
    }
  }
  for (int q = 0; q < NQ; q++)
    for (int v = 0; v < NV; v++) out[q * n + j0 + v] = sums[q][v];
}

template <int NQ, class Codes>
inline void scanN(const float* const* qs, const Codes& codes, size_t n, size_t d, float* out) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4) scanTile<NQ, 4>(qs, codes, j, n, d, out);
  for (; j < n; j++) scanTile<NQ, 1>(qs, codes, j, n, d, out);
}

template <class Codes>
inline void scanAny(const float* const* qs, size_t nq, const Codes& codes, size_t n, size_t d, float* out) {
  switch (nq) {
    case 1: scanN<1>(qs, codes, n, d, out); break;
    case 2: scanN<2>(qs, codes, n, d, out); break;
    case 3: scanN<3>(qs, codes, n, d, out); break;
    default: scanN<4>(qs, codes, n, d, out); break;
  }
}

void scanF32(const float* const* qs, size_t nq, const float* xs, size_t n, size_t d, float* out) {
  scanAny(qs, nq, F32Codes{xs, d}, n, d, out);
}

void scanSq8(const float* const* qs, size_t nq, const uint8_t* codes, size_t n, size_t d, const float* scale,
             float* out) {
  scanAny(qs, nq, Sq8Codes{codes, d, scale}, n, d, out);
}

void scanF16(const float* const* qs, size_t nq, const uint16_t* codes, size_t n, size_t d, float* out) {
  scanAny(qs, nq, F16Codes{codes, d}, n, d, out);
}

size_t below(const float* v, size_t n, float bound, uint32_t* out) {
  size_t count = 0, j = 0;
  for (; j + V::W <= n; j += V::W) count += V::compressBelow(v + j, bound, static_cast<uint32_t>(j), out + count);
  for (; j < n; j++) {
    out[count] = static_cast<uint32_t>(j);
    count += v[j] < bound ? 1 : 0;
  }
  return count;
}

constexpr size_t kPanel = V::W;

void pack(const float* x, size_t nx, size_t d, float* packed) {
  size_t panels = (nx + kPanel - 1) / kPanel;
  for (size_t p = 0; p < panels; p++) {
    float* dst = packed + p * kPanel * d;
    size_t j0 = p * kPanel;
    size_t w = nx - j0 < kPanel ? nx - j0 : kPanel;
    for (size_t l = 0; l < kPanel; l++) {
      if (l < w) {
        const float* row = x + (j0 + l) * d;
        for (size_t i = 0; i < d; i++) dst[i * kPanel + l] = row[i];
      } else {
        for (size_t i = 0; i < d; i++) dst[i * kPanel + l] = 0.0f;
      }
    }
  }
}

// MR queries x NR panels: MR * NR accumulators, NR panel loads and MR broadcasts per dimension (the register
// blocking of a GEMM micro-kernel). Padding columns have xn = +inf, so they never win the row minimum.
template <int MR, int NR>
inline void tile(const float* q, const float* qn, const float* panel, const float* xn, size_t d, float* out,
                 size_t ldo, typename V::reg* rowMin) {
  typename V::reg acc[MR][NR];
  for (int r = 0; r < MR; r++)
    for (int c = 0; c < NR; c++) acc[r][c] = V::zero();
  for (size_t i = 0; i < d; i++) {
    typename V::reg x[NR];
    for (int c = 0; c < NR; c++) x[c] = V::load(panel + c * kPanel * d + i * kPanel);
    for (int r = 0; r < MR; r++) {
      typename V::reg b = V::set1(q[r * d + i]);
      for (int c = 0; c < NR; c++) acc[r][c] = V::fmadd(b, x[c], acc[r][c]);
    }
  }
  const typename V::reg minus2 = V::set1(-2.0f);
  for (int r = 0; r < MR; r++) {
    typename V::reg qnr = V::set1(qn[r]);
    for (int c = 0; c < NR; c++) {
      typename V::reg dist = V::fmadd(acc[r][c], minus2, V::add(qnr, V::load(xn + c * kPanel)));
      V::store(out + r * ldo + c * kPanel, dist);
      rowMin[r] = V::min(rowMin[r], dist);
    }
  }
}

template <int MR>
inline void tileRow(const float* q, const float* qn, const float* packed, const float* xn, size_t nxPadded, size_t d,
                    float* out, size_t ldo, float* rowMin) {
  typename V::reg mins[MR];
  for (int r = 0; r < MR; r++) mins[r] = V::set1(__builtin_inff());
  size_t j = 0;
  for (; j + V::NR * kPanel <= nxPadded; j += V::NR * kPanel)
    tile<MR, V::NR>(q, qn, packed + j * d, xn + j, d, out + j, ldo, mins);
  for (; j < nxPadded; j += kPanel) tile<MR, 1>(q, qn, packed + j * d, xn + j, d, out + j, ldo, mins);
  for (int r = 0; r < MR; r++) rowMin[r] = V::reduceMin(mins[r]);
}

template <int MR>
inline void tileRows(const float* q, size_t nq, const float* qn, const float* packed, const float* xn,
                     size_t nxPadded, size_t d, float* out, size_t ldo, float* rowMin) {
  if constexpr (MR > 0) {
    if (nq >= static_cast<size_t>(MR)) {
      tileRow<MR>(q, qn, packed, xn, nxPadded, d, out, ldo, rowMin);
    } else {
      tileRows<MR - 1>(q, nq, qn, packed, xn, nxPadded, d, out, ldo, rowMin);
    }
  }
}

void l2Tile(const float* q, size_t nq, const float* qn, const float* packed, const float* xn, size_t nxPadded,
            size_t d, float* out, size_t ldo, float* rowMin) {
  for (size_t i = 0; i < nq; i += V::MR) {
    size_t rows = nq - i < static_cast<size_t>(V::MR) ? nq - i : static_cast<size_t>(V::MR);
    tileRows<V::MR>(q + i * d, rows, qn + i, packed, xn, nxPadded, d, out + i * ldo, ldo, rowMin + i);
  }
}
