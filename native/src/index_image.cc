#include "index_image.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexRefine.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>

#include "index_exact_half.h"
#include "index_ivf_packed.h"
#include "index_knn.h"
#include "index_profile.h"
#include "index_scratch.h"
#include "index_search.h"
#include "native_error.h"

namespace patchline {

namespace {

using IDMap = faiss::IndexIDMapTemplate<faiss::Index>;

// Queries per round up to which the binary16 pass pays (knnL2's direct-scan regime, index_knn.cc).
constexpr size_t kHalfQueries = 16;

struct OrderSite;
struct BatchQuerySite;
struct BatchDSite;
struct BatchISite;

const faiss::IndexFlat* l2Flat(const faiss::Index* index) {
  auto* f = dynamic_cast<const faiss::IndexFlat*>(index);
  return f != nullptr && f->metric_type == faiss::METRIC_L2 ? f : nullptr;
}

// An IDMap at the root only renames the results: search below it in positions, rename at the end.
const faiss::Index& belowIdMap(const faiss::Index& index, const IDMap** map) {
  *map = dynamic_cast<const IDMap*>(&index);
  return *map != nullptr ? *(*map)->index : index;
}

const faiss::IndexFlat* refineStore(const faiss::Index& inner) {
  auto* r = dynamic_cast<const faiss::IndexRefine*>(&inner);
  return r != nullptr ? l2Flat(r->refine_index) : nullptr;
}

// Scorer's patch score, in the same double arithmetic as the JS it replaces.
float patchScore(const float* distances, idx_t k) {
  double s = 0;
  for (idx_t j = 0; j < k; j++) s += std::sqrt(std::max(0.0, static_cast<double>(distances[j])));
  return static_cast<float>(s / static_cast<double>(k));
}

}  // namespace

const char* exactSource(const faiss::Index& index) {
  const IDMap* map = nullptr;
  const faiss::Index& inner = belowIdMap(index, &map);
  if (l2Flat(&inner) != nullptr) return "flat";
  if (refineStore(inner) != nullptr) return "refine";
  return nullptr;
}

void searchImage(const faiss::Index& index, const ImageSearchRequest& req, ImageSearchOutput& out,
                 const std::function<void()>& throwIfCancelled) {
  const IDMap* map = nullptr;
  const faiss::Index& inner = belowIdMap(index, &map);
  const idx_t n = req.n, k = req.k;
  const size_t d = static_cast<size_t>(index.d);
  if (!inner.is_trained) throw StateError("the index is not trained: call train() before searchImage()");

  const bool flat = l2Flat(&inner) != nullptr;
  const float* xb = nullptr;
  size_t nb = 0;
  if (const faiss::IndexFlat* store = refineStore(inner)) {
    xb = store->get_xb();
    nb = static_cast<size_t>(store->ntotal);
  } else if (req.exactTop > 0 && !flat) {
    if (req.exactVectors == nullptr) {
      throw StateError("this index keeps no exact vectors (it is neither Flat nor \"...,RFlat\"): pass exactVectors, "
                       "the bank in add order, to refine the top patches");
    }
    if (req.exactRows != static_cast<size_t>(inner.ntotal)) {
      throw UserError("exactVectors holds " + std::to_string(req.exactRows) + " vectors; the index holds " +
                      std::to_string(inner.ntotal));
    }
    xb = req.exactVectors;
    nb = req.exactRows;
  }

  const double t0 = ivfProfiling() ? nowMs() : 0;
  searchTree(inner, n, req.queries, k, out.distances, out.labels, req.params, true, req.cache);
  const double t1 = ivfProfiling() ? nowMs() : 0;
  markMissing(out.distances, out.labels, static_cast<size_t>(n * k));
  for (idx_t p = 0; p < n; p++) out.scores[p] = patchScore(out.distances + p * k, k);
  out.exact = flat;
  out.refinedCount = 0;
  out.rounds = 0;

  if (req.exactTop > 0 && !flat && n > 0) {
    throwIfCancelled();
    Scratch<uint32_t, OrderSite> order(static_cast<size_t>(n));
    std::iota(order.get(), order.get() + n, 0u);
    const float* scores = out.scores;
    std::stable_sort(order.get(), order.get() + n, [scores](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
    const size_t batch = std::min(req.exactTop, static_cast<size_t>(n));
    Scratch<float, BatchQuerySite> q(batch * d);
    Scratch<float, BatchDSite> bd(batch * static_cast<size_t>(k));
    Scratch<idx_t, BatchISite> bi(batch * static_cast<size_t>(k));
    float best = -std::numeric_limits<float>::infinity();
    // A few queries against the index's own vectors stream the whole bank, memory bound: read a binary16 copy
    // first (index_exact_half.h). Many queries are compute bound and stay on the tile kernel.
    std::shared_ptr<const HalfStore> half;
    if (req.cache != nullptr && refineStore(inner) != nullptr && batch <= kHalfQueries) half = req.cache->half(xb, nb, d);
    for (size_t start = 0; start < static_cast<size_t>(n); start += batch) {
      if (best >= out.scores[order[start]]) break;
      throwIfCancelled();
      const size_t m = std::min(batch, static_cast<size_t>(n) - start);
      for (size_t i = 0; i < m; i++) std::copy_n(req.queries + order[start + i] * d, d, q.get() + i * d);
      if (half) {
        exactKnnHalf(*half, q.get(), m, static_cast<size_t>(k), bd.get(), bi.get());
      } else {
        knnL2(q.get(), m, xb, nb, d, static_cast<size_t>(k), bd.get(), bi.get(), true);
      }
      markMissing(bd.get(), bi.get(), m * static_cast<size_t>(k));
      for (size_t i = 0; i < m; i++) {
        const uint32_t p = order[start + i];
        std::copy_n(bd.get() + i * k, k, out.distances + p * k);
        std::copy_n(bi.get() + i * k, k, out.labels + p * k);
        out.scores[p] = patchScore(out.distances + p * k, k);
        out.refined[out.refinedCount++] = p;
        best = std::max(best, out.scores[p]);
      }
      out.rounds++;
    }
  }

  if (ivfProfiling()) {
    std::fprintf(stderr, "image: search %.2f ms, exact rounds %.2f ms (%zu rounds, %zu patches)\n", t1 - t0, nowMs() - t1,
                 out.rounds, out.refinedCount);
  }
  out.maxPatch = 0;
  for (idx_t p = 1; p < n; p++) {
    if (out.scores[p] > out.scores[out.maxPatch]) out.maxPatch = static_cast<size_t>(p);
  }
  out.maxScore = n > 0 ? out.scores[out.maxPatch] : -std::numeric_limits<float>::infinity();

  if (map != nullptr) {
    for (idx_t i = 0; i < n * k; i++) {
      if (out.labels[i] >= 0) out.labels[i] = map->id_map.at(static_cast<size_t>(out.labels[i]));
    }
  }
}

}  // namespace patchline
