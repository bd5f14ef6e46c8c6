#include "index_exact_half.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "index_scratch.h"
#include "index_simd.h"
#include "simd_half.h"

namespace patchline {

namespace {

struct HalfDSite;
struct HalfCandSite;
struct HalfHeapDSite;
struct HalfHeapISite;
struct HalfPairSite;

// Vectors per block of the first pass: 4 queries' distances to a block stay in L1.
constexpr size_t kBlock = 1024;
// binary16's largest finite value is 65504; a little below keeps rounding from overflowing.
constexpr float kHalfRange = 65000.0f;

}  // namespace

std::unique_ptr<HalfStore> makeHalfStore(const float* xb, size_t n, size_t d) {
  auto s = std::make_unique<HalfStore>();
  s->source = xb;
  s->n = n;
  s->d = d;
  s->codes = hugeBuffer<uint16_t>(n * d);
  double worst = 0;
  for (size_t j = 0; j < n; j++) {
    double err = 0;
    for (size_t t = 0; t < d; t++) {
      float v = xb[j * d + t];
      if (!(std::fabs(v) <= kHalfRange)) return nullptr;
      uint16_t h = simd::floatToHalf(v);
      s->codes[j * d + t] = h;
      double e = static_cast<double>(v) - static_cast<double>(simd::halfToFloat(h));
      err += e * e;
    }
    worst = std::max(worst, std::sqrt(err));
  }
  // Rounded up past float32's rounding of the comparison below.
  s->maxError = static_cast<float>(worst * (1 + 1e-6)) + std::numeric_limits<float>::min();
  return s;
}

void exactKnnHalf(const HalfStore& store, const float* x, size_t m, size_t k, float* distances, idx_t* labels) {
  if (m == 0 || k == 0) return;
  const size_t n = store.n, d = store.d;
  if (n == 0) {
    std::fill(distances, distances + m * k, std::numeric_limits<float>::infinity());
    std::fill(labels, labels + m * k, idx_t(-1));
    return;
  }
  const SimdKernels& K = indexKernels();
  const float* xb = store.source;
  int threads = std::max(1, omp_get_max_threads());

  // Pass 1: every query's squared distance to every half vector.
  Scratch<float, HalfDSite> dist(m * n);
  const size_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (size_t b = 0; b < blocks; b++) {
    const size_t j0 = b * kBlock, len = std::min(kBlock, n - j0);
    float out[4 * kBlock];
    for (size_t g = 0; g < m; g += 4) {
      const size_t nq = std::min<size_t>(4, m - g);
      const float* qs[4];
      for (size_t a = 0; a < nq; a++) qs[a] = x + (g + a) * d;
      K.scanF16(qs, nq, store.codes.get() + j0 * d, len, d, out);
      for (size_t a = 0; a < nq; a++) std::copy_n(out + a * len, len, dist.get() + (g + a) * n + j0);
    }
  }

  // Pass 2, per query: the k smallest half distances give an exact bound T (their float32 distances); only
  // vectors with half distance below (T + maxError)^2, widened for float rounding, can be among the k nearest.
  const size_t kk = std::min(k, n);
  Scratch<uint32_t, HalfCandSite> cands(static_cast<size_t>(threads) * n);
  Scratch<float, HalfHeapDSite> heapD(static_cast<size_t>(threads) * 2 * kk);
  Scratch<idx_t, HalfHeapISite> heapI(static_cast<size_t>(threads) * 2 * kk);
  Scratch<std::pair<float, idx_t>, HalfPairSite> pairs(static_cast<size_t>(threads) * kk);
#pragma omp parallel for schedule(static) num_threads(threads) if (m > 1)
  for (size_t i = 0; i < m; i++) {
    const size_t me = static_cast<size_t>(omp_get_thread_num());
    const float* q = x + i * d;
    const float* row = dist.get() + i * n;
    uint32_t* cand = cands.get() + me * n;
    TopK approx{kk, heapD.get() + me * 2 * kk, heapI.get() + me * 2 * kk};
    approx.clear();
    pushRow(approx, row, n, [](uint32_t j) { return static_cast<idx_t>(j); }, K.below, cand);
    double T = 0;
    for (size_t c = 0; c < kk; c++) {
      if (approx.ids[c] >= 0) T = std::max(T, std::sqrt(static_cast<double>(K.l2sqr(q, xb + approx.ids[c] * d, d))));
    }
    // 1e-4: well past the float32 rounding of a d-term sum of squares (~d · 2^-24 relative) in either distance.
    const double reach = (T + store.maxError) * (1 + 1e-4) + 1e-30;
    const float bound = static_cast<float>(std::nextafter(static_cast<float>(reach * reach), std::numeric_limits<float>::infinity()));
    TopK exact{kk, heapD.get() + me * 2 * kk + kk, heapI.get() + me * 2 * kk + kk};
    exact.clear();
    const size_t count = K.below(row, n, bound, cand);
    for (size_t c = 0; c < count; c++) {
      const uint32_t j = cand[c];
      const float e = K.l2sqr(q, xb + static_cast<size_t>(j) * d, d);
      // Candidates come in ascending position, so a tie at the k-th place keeps the lower one, as a brute-force loop.
      if (e < exact.worst()) exact.push(e, j);
    }
    sortByDistance(kk, exact.dis, exact.ids, pairs.get() + me * kk);
    for (size_t c = 0; c < k; c++) {
      distances[i * k + c] = c < kk ? exact.dis[c] : std::numeric_limits<float>::infinity();
      labels[i * k + c] = c < kk ? exact.ids[c] : -1;
    }
  }
}

}  // namespace patchline
