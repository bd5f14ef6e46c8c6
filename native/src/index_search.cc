#include "index_search.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/VectorTransform.h>
#include <faiss/impl/FaissAssert.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "index_ivf_scan.h"
#include "index_knn.h"
#include "index_simd.h"

namespace patchline {

namespace {

using IDMap = faiss::IndexIDMapTemplate<faiss::Index>;

void refineSearch(const faiss::IndexRefine& r, idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                  const RuntimeParams& params, bool fastPaths, SearchCache* cache) {
  double factor = params.kFactor > 0 ? params.kFactor : r.k_factor;
  idx_t kb = std::max<idx_t>(k, static_cast<idx_t>(std::ceil(k * factor)));
  std::vector<float> baseD(n * kb);
  std::vector<idx_t> baseI(n * kb);
  searchTree(*r.base_index, n, x, kb, baseD.data(), baseI.data(), params, fastPaths, cache, true);

  auto* flat = dynamic_cast<const faiss::IndexFlat*>(r.refine_index);
  bool simdFlat = fastPaths && flat != nullptr && flat->metric_type == faiss::METRIC_L2;
  const SimdKernels& K = indexKernels();
  size_t d = r.d;
  idx_t ntotal = r.refine_index->ntotal;
  std::vector<std::pair<float, idx_t>> scratch(n * kb);
  // Created here: a throw inside the parallel region would abort the process.
  int threads = std::max(1, omp_get_max_threads());
  std::vector<std::unique_ptr<faiss::DistanceComputer>> computers(threads);
  if (!simdFlat) {
    for (auto& c : computers) c.reset(r.refine_index->get_distance_computer());
  }
#pragma omp parallel num_threads(threads) if (n > 1)
  {
    faiss::DistanceComputer* dc = simdFlat ? nullptr : computers[omp_get_thread_num()].get();
#pragma omp for schedule(static)
    for (idx_t i = 0; i < n; i++) {
      const float* q = x + i * d;
      float* di = baseD.data() + i * kb;
      idx_t* li = baseI.data() + i * kb;
      if (dc) dc->set_query(q);
      for (idx_t j = 0; j < kb; j++) {
        if (li[j] < 0 || li[j] >= ntotal) {
          li[j] = -1;
          continue;
        }
        di[j] = simdFlat ? K.l2sqr(q, flat->get_xb() + li[j] * d, d) : (*dc)(li[j]);
      }
      sortByDistance(kb, di, li, scratch.data() + i * kb);
      std::copy(di, di + k, distances + i * k);
      std::copy(li, li + k, labels + i * k);
    }
  }
}

// Faiss 1.7.3 sizes HNSW's candidate heap from the field hnsw.efSearch and only the stopping test from
// SearchParametersHNSW, so a per-call efSearch above the stored one is silently capped. A search with another
// efSearch therefore sets the field for its duration, alone (exclusive lock); searches that match the field share.
std::shared_mutex hnswField;

void hnswSearch(const faiss::IndexHNSW& h, idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const RuntimeParams& params) {
  faiss::SearchParametersHNSW sp;
  {
    std::shared_lock<std::shared_mutex> shared(hnswField);
    sp.efSearch = params.efSearch > 0 ? static_cast<int>(params.efSearch) : h.hnsw.efSearch;
    if (sp.efSearch == h.hnsw.efSearch) {
      h.search(n, x, k, distances, labels, &sp);
      return;
    }
  }
  std::unique_lock<std::shared_mutex> exclusive(hnswField);
  // The index object is not const (the caller owns it mutably); only this search path sees it as such.
  int& field = const_cast<faiss::HNSW&>(h.hnsw).efSearch;
  int saved = field;
  field = sp.efSearch;
  try {
    h.search(n, x, k, distances, labels, &sp);
  } catch (...) {
    field = saved;
    throw;
  }
  field = saved;
}

// The chain applied with the SIMD kernels when every step is a trained linear map y = A x + b (PCA, random
// rotations, OPQ); nullptr when some step is not.
const float* applyLinearChain(const faiss::IndexPreTransform& p, idx_t n, const float* x,
                              std::unique_ptr<const float[]>& owned) {
  for (const faiss::VectorTransform* vt : p.chain) {
    auto* lt = dynamic_cast<const faiss::LinearTransform*>(vt);
    if (lt == nullptr || !lt->is_trained || lt->A.size() != static_cast<size_t>(lt->d_in) * lt->d_out) return nullptr;
  }
  const float* cur = x;
  for (const faiss::VectorTransform* vt : p.chain) {
    auto* lt = static_cast<const faiss::LinearTransform*>(vt);
    std::unique_ptr<float[]> next(new float[static_cast<size_t>(n) * lt->d_out]);
    innerProducts(cur, n, lt->A.data(), lt->d_out, lt->d_in, next.get());
    if (lt->have_bias) {
      for (idx_t i = 0; i < n; i++) {
        for (int j = 0; j < lt->d_out; j++) next[i * lt->d_out + j] += lt->b[j];
      }
    }
    owned.reset(next.release());
    cur = owned.get();
  }
  return cur;
}

}  // namespace

void searchTree(const faiss::Index& index, idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const RuntimeParams& params, bool fastPaths, SearchCache* cache, bool candidatesOnly) {
  FAISS_THROW_IF_NOT_MSG(k > 0, "k must be > 0");
  if (n == 0) return;

  if (auto* p = dynamic_cast<const faiss::IndexPreTransform*>(&index)) {
    std::unique_ptr<const float[]> owned;
    const float* xt = fastPaths ? applyLinearChain(*p, n, x, owned) : nullptr;
    if (xt == nullptr) {
      xt = p->apply_chain(n, x);
      owned.reset(xt != x ? xt : nullptr);
    }
    searchTree(*p->index, n, xt, k, distances, labels, params, fastPaths, cache, candidatesOnly);
  } else if (auto* m = dynamic_cast<const IDMap*>(&index)) {
    searchTree(*m->index, n, x, k, distances, labels, params, fastPaths, cache, candidatesOnly);
    for (idx_t i = 0; i < n * k; i++) {
      if (labels[i] >= 0) labels[i] = m->id_map.at(labels[i]);
    }
  } else if (auto* r = dynamic_cast<const faiss::IndexRefine*>(&index)) {
    FAISS_THROW_IF_NOT_MSG(r->is_trained, "the index is not trained");
    refineSearch(*r, n, x, k, distances, labels, params, fastPaths, cache);
  } else if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&index)) {
    size_t nprobe = params.nprobe > 0 ? static_cast<size_t>(params.nprobe) : ivf->nprobe;
    if (fastPaths) {
      ivfSearch(*ivf, n, x, k, nprobe, distances, labels, cache, candidatesOnly);
    } else {
      faiss::SearchParametersIVF sp;
      sp.nprobe = std::min(nprobe, ivf->nlist);
      ivf->search(n, x, k, distances, labels, &sp);
    }
  } else if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(&index)) {
    hnswSearch(*h, n, x, k, distances, labels, params);
  } else {
    // Flat (a FastFlatL2 once wrapped) and every other leaf: its own search.
    index.search(n, x, k, distances, labels);
  }
}

}  // namespace patchline
