// From the caller's features to the stored points the samplers scan: the seeded random projection (or a copy when
// the dimension already matches), validation (NaN/Inf named by row and column, values the storage cannot hold), and
// conversion to float32 or binary16 rows padded to 16.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_set>

#include "coreset_detail.h"

namespace patchline::coreset {

namespace {

constexpr size_t kChunkRows = 64;
constexpr float kFloat16Max = 65504.0f;
// Larger values could overflow a float32 squared distance (2e15^2 * 16384 dimensions < 3.4e38).
constexpr float kFloat32Max = 1e15f;

// W is dOut x Dp (zero-padded columns), row j = output dimension j, drawn row by row from the projection stream.
AlignedBuffer<float> makeProjection(size_t D, size_t Dp, size_t dOut, uint64_t seed) {
  AlignedBuffer<float> w(dOut * Dp);
  SplitMix64 g(seed ^ kProjectionStream);
  const double bound = 1.0 / std::sqrt(static_cast<double>(D));
  for (size_t j = 0; j < dOut; ++j) {
    float* row = w.data() + j * Dp;
    for (size_t k = 0; k < D; ++k) {
      const double u = static_cast<double>(g.next() >> 40) * (1.0 / 16777216.0);
      row[k] = static_cast<float>((2.0 * u - 1.0) * bound);
    }
    std::fill(row + D, row + Dp, 0.0f);
  }
  return w;
}

// Input row r -> float32, zero-padded to Dp.
void loadRow(const Input& x, size_t r, float* out, size_t Dp, const simd::Kernels& k) {
  if (x.float16) {
    k.f16_to_f32(static_cast<const uint16_t*>(x.data) + r * x.cols, out, x.cols);
  } else {
    std::memcpy(out, static_cast<const float*>(x.data) + r * x.cols, x.cols * sizeof(float));
  }
  std::fill(out + x.cols, out + Dp, 0.0f);
}

std::string formatValue(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

// The message for the first bad row, recomputed serially so it is the same whatever thread found it.
[[noreturn]] void throwBadRow(const Input& x, size_t r, size_t d, const float* w, float limit, bool float16Storage,
                              const simd::Kernels& k) {
  const size_t Dp = simd::padded(x.cols);
  std::vector<float> in(Dp), out(simd::padded(d));
  loadRow(x, r, in.data(), Dp, k);
  for (size_t j = 0; j < x.cols; ++j) {
    if (std::isnan(in[j])) {
      throw std::invalid_argument("features row " + std::to_string(r) + ", column " + std::to_string(j) + " is NaN");
    }
    if (std::isinf(in[j])) {
      throw std::invalid_argument("features row " + std::to_string(r) + ", column " + std::to_string(j) +
                                  " is infinite");
    }
  }
  const char* what = w ? "projected value" : "value";
  if (w) {
    k.project(in.data(), 1, Dp, w, d, out.data(), out.size());
  } else {
    std::copy(in.begin(), in.begin() + d, out.begin());
  }
  for (size_t j = 0; j < d; ++j) {
    if (!(std::fabs(out[j]) <= limit)) {
      std::string msg = "features row " + std::to_string(r) + ": " + what + " " + formatValue(out[j]) +
                        (w ? " (output dimension " : " (column ") + std::to_string(j) + ") ";
      msg += !std::isfinite(out[j]) ? "overflows float32"
             : float16Storage       ? "does not fit float16 storage (|v| <= 65504); use storage 'float32'"
                                    : "is too large (|v| must be <= 1e15)";
      throw std::invalid_argument(msg);
    }
  }
  throw std::logic_error("feature validation disagreed with itself at row " + std::to_string(r));
}

// Runs every input row through load -> check -> project -> check, 64 rows at a time on the call's threads, and hands
// each chunk (float32, stride padded(d)) to sink(firstRow, rowCount, data).
template <class Sink>
void projectRows(const Input& x, size_t d, uint64_t seed, float limit, bool float16Storage, const simd::Kernels& k,
                 const Control& c, Sink&& sink) {
  const size_t Dp = simd::padded(x.cols);
  const size_t dp = simd::padded(d);
  const bool project = d != x.cols;
  AlignedBuffer<float> w;
  if (project) w = makeProjection(x.cols, Dp, d, seed);
  const size_t chunks = (x.rows + kChunkRows - 1) / kChunkRows;
  const size_t none = std::numeric_limits<size_t>::max();
  std::atomic<size_t> badRow{none};
  std::atomic<bool> stop{false};
  std::atomic<bool> outOfMemory{false};

#pragma omp parallel num_threads(c.threads)
  {
    AlignedBuffer<float> in, out;
    try {
      in = AlignedBuffer<float>(kChunkRows * Dp);
      if (project) out = AlignedBuffer<float>(kChunkRows * dp);
    } catch (const std::bad_alloc&) {
      outOfMemory = true;
      stop = true;
    }
#pragma omp for schedule(dynamic, 4)
    for (long long b = 0; b < static_cast<long long>(chunks); ++b) {
      if (stop.load(std::memory_order_relaxed)) continue;
      const size_t r0 = static_cast<size_t>(b) * kChunkRows;
      const size_t nr = std::min(kChunkRows, x.rows - r0);
      for (size_t i = 0; i < nr; ++i) loadRow(x, r0 + i, in.data() + i * Dp, Dp, k);
      const float* res = in.data();
      if (project) {
        k.project(in.data(), nr, Dp, w.data(), d, out.data(), dp);
        for (size_t i = 0; i < nr; ++i) std::fill(out.data() + i * dp + d, out.data() + (i + 1) * dp, 0.0f);
        res = out.data();
      }
      // One check covers both: a NaN/Inf input makes some output non-finite, or fails the input scan below.
      bool bad = false;
      size_t first = nr;
      for (size_t i = 0; i < nr && !bad; ++i) {
        const float* row = in.data() + i * Dp;
        for (size_t j = 0; j < x.cols; ++j) {
          if (!std::isfinite(row[j])) {
            bad = true;
            first = i;
            break;
          }
        }
        const float* o = res + i * dp;
        for (size_t j = 0; j < d && !bad; ++j) {
          if (!(std::fabs(o[j]) <= limit)) {
            bad = true;
            first = i;
          }
        }
      }
      if (bad) {
        size_t r = r0 + first, cur = badRow.load();
        while (r < cur && !badRow.compare_exchange_weak(cur, r)) {
        }
        continue;
      }
      sink(r0, nr, res);
      if (omp_get_thread_num() == 0 && c.cancelled && c.cancelled()) stop = true;
    }
  }
  if (outOfMemory) throw std::bad_alloc();
  if (c.cancelled && c.cancelled()) throw Cancelled();
  if (badRow.load() != none) throwBadRow(x, badRow.load(), d, project ? w.data() : nullptr, limit, float16Storage, k);
}

}  // namespace

template <class T>
Matrix<T> prepareStorage(const Input& x, size_t projectionDim, uint64_t seed, const simd::Kernels& k,
                         const Control& c) {
  constexpr bool half = std::is_same_v<T, uint16_t>;
  Matrix<T> m;
  m.rows = x.rows;
  m.d = projectionDim;
  m.dp = simd::padded(projectionDim);
  m.data = AlignedBuffer<T>(m.rows * m.dp);
  T* base = m.data.data();
  const size_t dp = m.dp;
  projectRows(x, projectionDim, seed, half ? kFloat16Max : kFloat32Max, half, k, c,
              [&](size_t r0, size_t nr, const float* rows) {
                if constexpr (half) {
                  k.f32_to_f16(rows, base + r0 * dp, nr * dp);
                } else {
                  std::memcpy(base + r0 * dp, rows, nr * dp * sizeof(float));
                }
              });
  return m;
}

template Matrix<float> prepareStorage<float>(const Input&, size_t, uint64_t, const simd::Kernels&, const Control&);
template Matrix<uint16_t> prepareStorage<uint16_t>(const Input&, size_t, uint64_t, const simd::Kernels&,
                                                   const Control&);

void randomProjection(const Input& x, size_t dim, uint64_t seed, float* out, const Control& c) {
  const simd::Kernels& k = simd::activeKernels();
  const size_t dp = simd::padded(dim);
  projectRows(x, dim, seed, std::numeric_limits<float>::max(), false, k, c,
              [&](size_t r0, size_t nr, const float* rows) {
                for (size_t i = 0; i < nr; ++i) std::memcpy(out + (r0 + i) * dim, rows + i * dp, dim * sizeof(float));
              });
}

void rowToFloat(const float* row, float* out, size_t dp, const simd::Kernels&) {
  std::memcpy(out, row, dp * sizeof(float));
}

void rowToFloat(const uint16_t* row, float* out, size_t dp, const simd::Kernels& k) { k.f16_to_f32(row, out, dp); }

std::vector<uint32_t> startIndices(size_t n, size_t numStarts, uint64_t seed) {
  const size_t want = std::min(numStarts, n);
  std::vector<uint32_t> out;
  out.reserve(want);
  std::unordered_set<uint32_t> taken;
  SplitMix64 g(seed ^ kStartsStream);
  while (out.size() < want) {
    const auto idx = static_cast<uint32_t>(((g.next() >> 32) * static_cast<uint64_t>(n)) >> 32);
    if (taken.insert(idx).second) out.push_back(idx);
  }
  return out;
}

}  // namespace patchline::coreset
