// The streaming epsilon-net bank: see epsilon_net.h.
#include "epsilon_net.h"

#include <faiss/Clustering.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>

#include "coreset.h"
#include "index_knn.h"
#include "index_simd.h"
#include "native_error.h"

namespace patchline::epsnet {

namespace {

// Vectors per distance-kernel call while scanning a list: small enough that the early exit saves work.
constexpr size_t kScanBlock = 64;
// Queries per coarse-assignment call: bounds the scratch arrays of one add().
constexpr size_t kAssignChunk = 16384;

}  // namespace

Net::Net(size_t dim, size_t nlist, size_t nprobe, float radius)
    : d_(dim), nlist_(nlist), nprobe_(std::min(nprobe, nlist)), r_(radius), r2_(radius * radius) {
  if (dim == 0 || nlist == 0 || nprobe == 0) throw std::invalid_argument("dim, nlist and nprobe must be positive");
  if (!(radius >= 0) || !std::isfinite(radius)) throw std::invalid_argument("radius must be a finite number >= 0");
}

void Net::train(const float* x, size_t n, uint64_t seed, const std::function<bool()>& cancelled) {
  if (n_ > 0) throw StateError("the bank already holds vectors; train before the first add");
  if (n < nlist_) {
    throw std::invalid_argument("training needs at least nlist = " + std::to_string(nlist_) + " vectors, got " +
                                std::to_string(n));
  }
  faiss::ClusteringParameters cp;
  cp.niter = 10;
  cp.seed = static_cast<int>(seed & 0x7fffffff);
  cp.max_points_per_centroid = 64;
  cp.verbose = false;
  faiss::Clustering km(static_cast<int>(d_), static_cast<int>(nlist_), cp);
  FastFlatL2 q(static_cast<idx_t>(d_));
  if (cancelled && cancelled()) throw Cancelled();
  km.train(static_cast<idx_t>(n), x, q);
  if (cancelled && cancelled()) throw Cancelled();
  setCentroids(km.centroids.data(), nlist_);
}

void Net::setCentroids(const float* c, size_t nlist) {
  if (n_ > 0) throw StateError("the bank already holds vectors");
  nlist_ = nlist;
  nprobe_ = std::min(nprobe_, nlist_);
  centroids_.assign(c, c + nlist * d_);
  vecs_.assign(nlist, {});
  ids_.assign(nlist, {});
  listRadius_.assign(nlist, 0.0f);
}

void Net::assign(const float* x, size_t n, std::vector<int64_t>& labels, std::vector<float>& dis) const {
  labels.resize(n * nprobe_);
  dis.resize(n * nprobe_);
  static_assert(sizeof(idx_t) == sizeof(int64_t), "faiss idx_t is 64-bit");
  knnL2(x, n, centroids_.data(), nlist_, d_, nprobe_, dis.data(), reinterpret_cast<idx_t*>(labels.data()), false);
}

bool Net::coveredBy(const float* q, const int64_t* probes, const float* probeDis, const size_t* from,
                    AddStats& st) const {
  const SimdKernels& K = indexKernels();
  float out[kScanBlock];
  for (size_t p = 0; p < nprobe_; p++) {
    const int64_t list = probes[p];
    if (list < 0) continue;
    const size_t L = static_cast<size_t>(list);
    const size_t begin = from ? from[L] : 0;
    const size_t end = ids_[L].size();
    if (begin >= end) continue;
    // Every member is within listRadius of the centroid: if the query is farther than that plus r, none covers it.
    if (std::sqrt(std::max(probeDis[p], 0.0f)) - listRadius_[L] > r_) {
      st.listsSkipped++;
      continue;
    }
    const float* base = vecs_[L].data();
    for (size_t j = begin; j < end; j += kScanBlock) {
      const size_t m = std::min(kScanBlock, end - j);
      K.scanF32(&q, 1, base + j * d_, m, d_, out);
      st.vectorsScanned += m;
      for (size_t t = 0; t < m; t++) {
        if (out[t] <= r2_) return true;
      }
    }
  }
  return false;
}

void Net::push(size_t list, const float* v, float distToCentroid) {
  vecs_[list].insert(vecs_[list].end(), v, v + d_);
  ids_[list].push_back(static_cast<uint32_t>(n_++));
  listRadius_[list] = std::max(listRadius_[list], distToCentroid);
}

std::vector<uint32_t> Net::add(const float* x, size_t n, AddStats* stats) {
  if (!trained()) throw StateError("the epsilon-net is not trained (call train first)");
  if (static_cast<double>(n_) + static_cast<double>(n) > 4294967295.0) throw std::invalid_argument("bank would exceed 2^32 vectors");
  AddStats st;
  std::vector<uint32_t> added;
  std::vector<int64_t> labels;
  std::vector<float> dis;
  std::vector<uint8_t> covered;
  std::vector<size_t> start(nlist_);
  for (size_t off = 0; off < n; off += kAssignChunk) {
    const size_t m = std::min(kAssignChunk, n - off);
    const float* xs = x + off * d_;
    assign(xs, m, labels, dis);
    covered.assign(m, 0);
    // Phase 1: against the bank as it was at the start of this chunk, in parallel.
    const int threads = std::max(1, omp_get_max_threads());
    std::vector<AddStats> per(threads);
#pragma omp parallel num_threads(threads)
    {
      AddStats& mine = per[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 64)
      for (int64_t i = 0; i < static_cast<int64_t>(m); i++) {
        covered[i] = coveredBy(xs + i * d_, &labels[i * nprobe_], &dis[i * nprobe_], nullptr, mine) ? 1 : 0;
      }
    }
    for (const AddStats& s : per) {
      st.vectorsScanned += s.vectorsScanned;
      st.listsSkipped += s.listsSkipped;
    }
    // Phase 2: the uncovered ones in order, against what this chunk has added so far.
    for (size_t L = 0; L < nlist_; L++) start[L] = ids_[L].size();
    for (size_t i = 0; i < m; i++) {
      if (covered[i]) continue;
      st.uncoveredAfterLookup++;
      const float* q = xs + i * d_;
      if (coveredBy(q, &labels[i * nprobe_], &dis[i * nprobe_], start.data(), st)) continue;
      const int64_t home = labels[i * nprobe_];
      if (home < 0) throw std::runtime_error("coarse assignment failed (non-finite input?)");
      push(static_cast<size_t>(home), q, std::sqrt(std::max(dis[i * nprobe_], 0.0f)));
      added.push_back(static_cast<uint32_t>(off + i));
    }
  }
  if (stats) {
    stats->uncoveredAfterLookup += st.uncoveredAfterLookup;
    stats->vectorsScanned += st.vectorsScanned;
    stats->listsSkipped += st.listsSkipped;
  }
  return added;
}

void Net::append(const float* x, size_t n) {
  if (!trained()) throw StateError("the epsilon-net is not trained (call train first)");
  std::vector<int64_t> labels;
  std::vector<float> dis;
  const size_t keep = nprobe_;
  nprobe_ = 1;
  for (size_t off = 0; off < n; off += kAssignChunk) {
    const size_t m = std::min(kAssignChunk, n - off);
    assign(x + off * d_, m, labels, dis);
    for (size_t i = 0; i < m; i++) push(static_cast<size_t>(labels[i]), x + (off + i) * d_, std::sqrt(std::max(dis[i], 0.0f)));
  }
  nprobe_ = keep;
}

void Net::exportVectors(float* out) const {
  for (size_t L = 0; L < nlist_; L++) {
    const std::vector<uint32_t>& ids = ids_[L];
    for (size_t j = 0; j < ids.size(); j++) std::copy_n(vecs_[L].data() + j * d_, d_, out + static_cast<size_t>(ids[j]) * d_);
  }
}

std::vector<uint32_t> Net::rethin(size_t target, double growth, const std::function<bool()>& cancelled) {
  std::vector<uint32_t> all(n_);
  std::iota(all.begin(), all.end(), 0u);
  if (n_ <= target) return all;
  if (target == 0) throw std::invalid_argument("rethin target must be >= 1");
  std::vector<float> bank(n_ * d_);
  exportVectors(bank.data());
  // Each attempt rebuilds from the whole current bank (not from the previous attempt), so every pruned vector is
  // within the final radius of a kept one. The radius is bracketed: lo keeps too many, hi keeps few enough.
  // Aim a little under the target and accept anything from 97 % of it: a bank re-thinned to its budget should stay
  // close to the budget (each missing vector is lost coverage), and a few more attempts cost little next to the fold.
  const double aim = 0.985 * static_cast<double>(target);
  double lo = std::max<double>(r_, 1e-6), loSize = static_cast<double>(n_);
  double prevR = 0, prevSize = 0;
  double hi = 0;
  double g = growth > 0 ? growth : 8.0;
  std::unique_ptr<Net> best;
  std::vector<uint32_t> bestKept;
  for (int attempt = 0; attempt < 32; attempt++) {
    if (cancelled && cancelled()) throw Cancelled();
    // Until a radius keeps few enough, step along size ~ r^-g, g re-estimated from the last two attempts (the
    // exponent follows the data's intrinsic dimension); then bisect log(r).
    double next = hi > 0 ? std::sqrt(lo * hi) : lo * std::min(4.0, std::max(1.02, std::pow(loSize / aim, 1.0 / g)));
    auto net = std::make_unique<Net>(d_, nlist_, nprobe_, static_cast<float>(next));
    net->setCentroids(centroids_.data(), nlist_);
    std::vector<uint32_t> kept = net->add(bank.data(), n_, nullptr);
    if (kept.size() > target) {
      prevR = lo;
      prevSize = loSize;
      lo = next;
      loSize = static_cast<double>(kept.size());
      if (prevSize > loSize && lo > prevR) {
        const double est = std::log(prevSize / loSize) / std::log(lo / prevR);
        if (std::isfinite(est)) g = std::min(64.0, std::max(0.5, est));
      }
      continue;
    }
    hi = next;
    if (!best || kept.size() > bestKept.size()) {
      best = std::move(net);
      bestKept = std::move(kept);
    }
    if (static_cast<double>(bestKept.size()) >= 0.97 * static_cast<double>(target)) break;
    if (hi / lo < 1.0005) break;
  }
  if (!best) throw std::runtime_error("rethin could not reach the target size");
  vecs_ = std::move(best->vecs_);
  ids_ = std::move(best->ids_);
  listRadius_ = std::move(best->listRadius_);
  n_ = best->n_;
  setRadius(best->r_);
  return bestKept;
}

void Net::nearestProbed(const float* x, size_t n, float* dist) const {
  if (!trained()) throw StateError("the epsilon-net is not trained");
  std::vector<int64_t> labels;
  std::vector<float> dis;
  assign(x, n, labels, dis);
  const SimdKernels& K = indexKernels();
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < static_cast<int64_t>(n); i++) {
    float best = std::numeric_limits<float>::infinity();
    float out[kScanBlock];
    const float* q = x + i * d_;
    for (size_t p = 0; p < nprobe_; p++) {
      const int64_t L = labels[i * nprobe_ + p];
      if (L < 0) continue;
      const size_t cnt = ids_[L].size();
      for (size_t j = 0; j < cnt; j += kScanBlock) {
        const size_t m = std::min(kScanBlock, cnt - j);
        K.scanF32(&q, 1, vecs_[L].data() + j * d_, m, d_, out);
        for (size_t t = 0; t < m; t++) best = std::min(best, out[t]);
      }
    }
    dist[i] = std::sqrt(best);
  }
}

}  // namespace patchline::epsnet
