// (a) the approximate greedy coreset (patchcore-inspection's sampler, one fused SIMD pass per iteration over
// OpenMP threads) and (b) the exact float64 greedy used as the test reference.
#include "coreset.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "coreset_crew.h"
#include "coreset_detail.h"
#include "simd_half.h"

namespace patchline::coreset {

namespace {

// Thread t's share of n rows, cut at multiples of 16 so threads never write the same cache line of `value`.
inline void share(size_t n, int t, int nt, size_t* lo, size_t* hi) {
  auto cut = [&](int i) { return i >= nt ? n : std::min(n, (n * static_cast<size_t>(i) / nt) & ~size_t{15}); };
  *lo = cut(t);
  *hi = cut(t + 1);
}

simd::Best combine(const std::vector<simd::Best>& bests) {
  simd::Best b = kNoBest;
  for (const auto& x : bests) {
    if (better(x, b)) b = x;
  }
  return b;
}

template <class T>
Result approximate(const Input& x, const GreedyParams& p, const Control& c) {
  const simd::Kernels& k = simd::activeKernels();
  const auto t0 = std::chrono::steady_clock::now();
  Result res;
  res.stats.kernels = k.name;
  const Matrix<T> m = prepareStorage<T>(x, p.projectionDim, p.seed, k, c);
  const size_t n = m.rows, dp = m.dp;
  const T* rows = m.data.data();
  const auto starts = startIndices(n, p.numStarts, p.seed);
  const std::vector<float> sq = startQueries(m, starts, k);
  const auto meanDist = simd::meanDistFn(k, rows);
  const auto minUpdate = simd::minUpdateFn(k, rows);
  const int threads = std::max(1, c.threads);

  std::vector<float> init(n), value(n);
  std::vector<simd::Best> bests(threads, kNoBest);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    size_t lo, hi;
    share(n, t, omp_get_num_threads(), &lo, &hi);
    meanDist(rows + lo * dp, hi - lo, dp, sq.data(), starts.size(), init.data() + lo);
    std::copy(init.begin() + lo, init.begin() + hi, value.begin() + lo);
    simd::Best b = kNoBest;
    for (size_t i = lo; i < hi; ++i) {
      if (value[i] > b.value) b = {value[i], static_cast<uint32_t>(i)};
    }
    bests[t] = b;
  }
  simd::Best best = combine(bests);
  res.stats.prepareSeconds = secondsSince(t0);

  const auto t1 = std::chrono::steady_clock::now();
  Checkpoint cp(c, p.count);
  std::vector<float> y(dp);
  res.indices.reserve(p.count);
  // Chunks of >= 4096 rows (1 MB of float16 at d' = 128), about 8 per thread so a late thread costs little.
  const size_t chunkRows = std::max<size_t>(4096, (n / (8 * threads) + 15) & ~size_t{15});
  const size_t chunks = (n + chunkRows - 1) / chunkRows;
  std::vector<simd::Best> chunkBest(chunks);
  withCrew(threads, [&](Crew& crew) {
    for (size_t it = 0; it < p.count; ++it) {
      const uint32_t s = best.index;
      res.indices.push_back(s);
      value[s] = -1.f;
      rowToFloat(m.row(s), y.data(), dp, k);
      crew.round(chunks, [&](size_t ch) {
        const size_t lo = ch * chunkRows, hi = std::min(n, lo + chunkRows);
        simd::Best b = kNoBest;
        minUpdate(rows + lo * dp, hi - lo, dp, y.data(), value.data() + lo, static_cast<uint32_t>(lo), &b);
        chunkBest[ch] = b;
      });
      best = combine(chunkBest);
      cp.poll(it + 1);
    }
  });
  res.stats.selectSeconds = secondsSince(t1);
  res.stats.distances = static_cast<double>(n) * static_cast<double>(p.count);

  const auto t2 = std::chrono::steady_clock::now();
  res.radius = coverageRadius(rows, n, dp, value.data(), init.data(), res.indices, k, c, &res.stats.unlowered);
  res.stats.radiusSeconds = secondsSince(t2);
  return res;
}

double dist64(const double* a, const double* b, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; ++j) {
    const double t = a[j] - b[j];
    s += t * t;
  }
  return std::sqrt(s);
}

}  // namespace

Result approximateGreedy(const Input& x, const GreedyParams& p, const Control& c) {
  return p.storage == Storage::Float16 ? approximate<uint16_t>(x, p, c) : approximate<float>(x, p, c);
}

// Plain float64 loops, no projection, no SIMD, no threads: slow and obviously right.
Result exactGreedy(const Input& x, const GreedyParams& p, const Control& c) {
  const auto t0 = std::chrono::steady_clock::now();
  Result res;
  res.stats.kernels = "float64";
  const size_t n = x.rows, d = x.cols;
  std::vector<double> X(n * d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      const size_t at = i * d + j;
      const double v = x.float16 ? simd::halfToFloat(static_cast<const uint16_t*>(x.data)[at])
                                 : static_cast<const float*>(x.data)[at];
      if (!std::isfinite(v)) {
        throw std::invalid_argument("features row " + std::to_string(i) + ", column " + std::to_string(j) +
                                    (std::isnan(v) ? " is NaN" : " is infinite"));
      }
      X[at] = v;
    }
  }
  const auto starts = startIndices(n, p.numStarts, p.seed);
  std::vector<double> init(n), value(n);
  size_t best = 0;
  for (size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (uint32_t s : starts) sum += dist64(&X[i * d], &X[static_cast<size_t>(s) * d], d);
    init[i] = value[i] = sum / static_cast<double>(starts.size());
    if (value[i] > value[best]) best = i;
  }
  res.stats.prepareSeconds = secondsSince(t0);

  const auto t1 = std::chrono::steady_clock::now();
  Checkpoint cp(c, p.count);
  for (size_t it = 0; it < p.count; ++it) {
    const size_t s = best;
    res.indices.push_back(static_cast<uint32_t>(s));
    value[s] = -1;
    double bv = -2;
    for (size_t i = 0; i < n; ++i) {
      const double di = dist64(&X[i * d], &X[s * d], d);
      if (di < value[i]) value[i] = di;
      if (value[i] > bv) {
        bv = value[i];
        best = i;
      }
    }
    cp.poll(it + 1);
  }
  res.stats.selectSeconds = secondsSince(t1);
  res.stats.distances = static_cast<double>(n) * static_cast<double>(p.count);

  const auto t2 = std::chrono::steady_clock::now();
  double radius = 0;
  for (size_t i = 0; i < n; ++i) {
    if (value[i] < 0) continue;
    if (value[i] < init[i]) {
      radius = std::max(radius, value[i]);
      continue;
    }
    ++res.stats.unlowered;
    double m = std::numeric_limits<double>::infinity();
    for (uint32_t s : res.indices) m = std::min(m, dist64(&X[i * d], &X[static_cast<size_t>(s) * d], d));
    radius = std::max(radius, m);
  }
  res.radius = radius;
  res.stats.radiusSeconds = secondsSince(t2);
  return res;
}

}  // namespace patchline::coreset
