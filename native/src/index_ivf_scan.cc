#include "index_ivf_scan.h"

#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissAssert.h>
#include <faiss/IndexScalarQuantizer.h>
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <memory>
#include <limits>
#include <vector>

#include "index_ivf_layout.h"
#include "index_ivf_packed.h"
#include "index_profile.h"
#include "index_scratch.h"
#include "index_simd.h"

namespace patchline {

namespace {

struct CoarseDSite;
struct AssignSite;
struct ListStartSite;
struct SlotQuerySite;
struct SlotOriginSite;
struct FillSite;
struct SlotDSite;
struct SlotISite;
struct SlotHeapSite;
struct QueryBufSite;
struct BoundSite;
struct OutBufSite;
struct CandBufSite;
struct SlotOfOriginSite;
struct QueryNormSite;
struct TileQuerySite;
struct TileNormSite;
struct TileOutSite;
struct TileMinSite;
struct GatherSite;
struct MergeIdSite;
struct MergePairSite;

// Vectors per kernel call: 4 queries x 512 distances stay in L1.
constexpr size_t kChunk = 512;
// Queries per kernel call (the kernels take 1..4).
constexpr size_t kGroup = 4;

struct ListTask {
  idx_t list;
  size_t first, count;  // range in the slot order
  size_t work;
  size_t rank;  // best probe rank among the slots: 0 when the list is some query's nearest
};

// Per query: the worst distance of any full slot heap. Every slot of the query can ignore distances not below it
// (some slot already holds k better ones), which after the nearest list is scanned filters nearly everything.
// Relaxed atomics: a stale (larger) bound only costs a little filtering, never correctness.
void lowerBound(std::atomic<float>& bound, float v) {
  float cur = bound.load(std::memory_order_relaxed);
  while (v < cur && !bound.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

// What turns a query into the form the kernel of this layout expects, for list l.
struct Decoder {
  Layout layout = Layout::None;
  size_t d = 0;
  bool byResidual = false;
  const float* centroids = nullptr;  // nlist x d, when by residual
  std::vector<float> scale, offset;  // Sq8: x = offset + code * scale (+ centroid)

  // q' such that the kernel's sum((q' - decoded)^2) is the distance to the reconstructed vector.
  const float* prepare(const float* q, idx_t list, float* buf) const {
    if (layout == Layout::F32 || (layout == Layout::F16 && !byResidual)) return q;
    const float* c = byResidual ? centroids + list * d : nullptr;
    for (size_t t = 0; t < d; t++) {
      float v = q[t];
      if (c != nullptr) v -= c[t];
      if (layout == Layout::Sq8) v -= offset[t];
      buf[t] = v;
    }
    return buf;
  }
};

Decoder makeDecoder(const faiss::IndexIVF& ivf, Layout layout, std::vector<float>& centroidStore) {
  Decoder dec;
  dec.layout = layout;
  dec.d = static_cast<size_t>(ivf.d);
  if (layout == Layout::Sq8 || layout == Layout::F16) {
    const auto& sqi = static_cast<const faiss::IndexIVFScalarQuantizer&>(ivf);
    dec.byResidual = sqi.by_residual;
    if (layout == Layout::Sq8) {
      // Faiss decodes component i as vmin_i + (code + 0.5) / 255 * vdiff_i.
      dec.scale.resize(dec.d);
      dec.offset.resize(dec.d);
      for (size_t t = 0; t < dec.d; t++) {
        float vmin = sqi.sq.trained[t];
        float vdiff = sqi.sq.trained[dec.d + t];
        dec.scale[t] = vdiff / 255.0f;
        dec.offset[t] = vmin + 0.5f * dec.scale[t];
      }
    }
  }
  if (dec.byResidual) {
    if (auto* flat = dynamic_cast<const faiss::IndexFlat*>(ivf.quantizer)) {
      dec.centroids = flat->get_xb();
    } else {
      centroidStore.resize(ivf.nlist * dec.d);
      ivf.quantizer->reconstruct_n(0, ivf.nlist, centroidStore.data());
      dec.centroids = centroidStore.data();
    }
  }
  return dec;
}

void scanList(const SimdKernels& K, const faiss::IndexIVF& ivf, const Decoder& dec, const ListTask& task,
              const idx_t* slotQuery, TopK* slotHeaps, std::atomic<float>* bounds, const float* x, float* qbuf,
              float* out, uint32_t* cand) {
  size_t d = dec.d;
  size_t m = ivf.invlists->list_size(task.list);
  if (m == 0) return;
  faiss::InvertedLists::ScopedCodes codes(ivf.invlists, task.list);
  faiss::InvertedLists::ScopedIds ids(ivf.invlists, task.list);
  for (size_t g = 0; g < task.count; g += kGroup) {
    size_t nq = std::min(kGroup, task.count - g);
    const float* qs[kGroup];
    TopK* heaps[kGroup];
    std::atomic<float>* qbound[kGroup];
    for (size_t a = 0; a < nq; a++) {
      size_t slot = task.first + g + a;
      qs[a] = dec.prepare(x + slotQuery[slot] * d, task.list, qbuf + a * d);
      heaps[a] = slotHeaps + slot;
      qbound[a] = bounds + slotQuery[slot];
    }
    for (size_t j0 = 0; j0 < m; j0 += kChunk) {
      size_t len = std::min(kChunk, m - j0);
      const uint8_t* base = codes.get() + j0 * ivf.code_size;
      switch (dec.layout) {
        case Layout::F32: K.scanF32(qs, nq, reinterpret_cast<const float*>(base), len, d, out); break;
        case Layout::Sq8: K.scanSq8(qs, nq, base, len, d, dec.scale.data(), out); break;
        case Layout::F16: K.scanF16(qs, nq, reinterpret_cast<const uint16_t*>(base), len, d, out); break;
        case Layout::None: return;
      }
      for (size_t a = 0; a < nq; a++) {
        TopK& h = *heaps[a];
        const float* row = out + a * len;
        const idx_t* listIds = ids.get() + j0;
        pushRow(h, row, len, [listIds](uint32_t j) { return listIds[j]; }, K.below, cand,
                qbound[a]->load(std::memory_order_relaxed));
        if (h.ids[0] >= 0) lowerBound(*qbound[a], h.worst());
      }
    }
  }
}

// Queries of one tile call, and packed vectors per tile call: 64 x 512 distances (128 KiB) per thread.
constexpr size_t kTileQueries = 64;
constexpr size_t kTileVectors = 512;

// One list of the packed copy against the queries that probe it, as l2Tile products (the slot heaps then hold
// packed positions, turned into ids when the results are merged).
void scanPackedList(const SimdKernels& K, const PackedLists& P, const ListTask& task, const idx_t* slotQuery,
                    TopK* slotHeaps, std::atomic<float>* bounds, const float* x, const float* xnorm, float* qbuf,
                    float* qn, float* out, float* rowMin, uint32_t* cand) {
  const size_t d = P.d, l = static_cast<size_t>(task.list);
  const size_t m = P.size[l], base = P.start[l], padded = P.start[l + 1] - base;
  if (m == 0) return;
  for (size_t g = 0; g < task.count; g += kTileQueries) {
    const size_t rows = std::min(kTileQueries, task.count - g);
    for (size_t r = 0; r < rows; r++) {
      const idx_t q = slotQuery[task.first + g + r];
      std::copy_n(x + q * d, d, qbuf + r * d);
      qn[r] = xnorm[q];
    }
    for (size_t j0 = 0; j0 < padded; j0 += kTileVectors) {
      const size_t len = std::min(kTileVectors, padded - j0), real = std::min(len, m - std::min(m, j0));
      K.l2Tile(qbuf, rows, qn, P.panels.get() + (base + j0) * d, P.norms.get() + base + j0, len, d, out, len, rowMin);
      const size_t first = base + j0;
      for (size_t r = 0; r < rows; r++) {
        const size_t slot = task.first + g + r;
        std::atomic<float>& bound = bounds[slotQuery[slot]];
        TopK& h = slotHeaps[slot];
        const float limit = bound.load(std::memory_order_relaxed);
        if (!(rowMin[r] < std::min(h.worst(), limit))) continue;
        pushRow(h, out + r * len, real, [first](uint32_t j) { return static_cast<idx_t>(first + j); }, K.below, cand,
                limit);
        if (h.ids[0] >= 0) lowerBound(bound, h.worst());
      }
    }
  }
}

}  // namespace

bool ivfScanSupported(const faiss::IndexIVF& ivf) { return layoutOf(ivf) != Layout::None; }

void ivfSearch(const faiss::IndexIVF& ivf, idx_t n, const float* x, idx_t k, size_t nprobe, float* distances,
               idx_t* labels, SearchCache* cache, bool candidatesOnly) {
  FAISS_THROW_IF_NOT_MSG(ivf.is_trained, "the index is not trained");
  nprobe = std::max<size_t>(1, std::min(nprobe, ivf.nlist));
  double t0 = ivfProfiling() ? nowMs() : 0;
  Scratch<float, CoarseDSite> coarseD(n * nprobe);
  Scratch<idx_t, AssignSite> assign(n * nprobe);
  if (auto* flat = dynamic_cast<const faiss::IndexFlat*>(ivf.quantizer);
             flat != nullptr && flat->metric_type == faiss::METRIC_L2) {
    // Ranking centroids needs no exact re-scoring.
    knnL2(x, n, flat->get_xb(), flat->ntotal, ivf.d, nprobe, coarseD.get(), assign.get(), false);
  } else {
    ivf.quantizer->search(n, x, nprobe, coarseD.get(), assign.get());
  }

  double t1 = ivfProfiling() ? nowMs() : 0;
  Layout layout = layoutOf(ivf);
  std::shared_ptr<const PackedLists> packed = cache != nullptr ? cache->packed(ivf) : nullptr;
  if (layout == Layout::None && !packed) {
    faiss::SearchParametersIVF params;
    params.nprobe = nprobe;
    ivf.search_preassigned(n, x, k, assign.get(), coarseD.get(), distances, labels, false, &params);
    return;
  }

  // Slots are (query, probe) pairs, bucketed by list: each slot gets its own heap, so threads scanning different
  // lists never share one and the per-query merge at the end needs no locks.
  size_t nslots = n * nprobe;
  Scratch<size_t, ListStartSite> listStart(ivf.nlist + 1);
  std::fill(listStart.get(), listStart.get() + ivf.nlist + 1, size_t{0});
  for (size_t s = 0; s < nslots; s++) {
    if (assign[s] >= 0) listStart[assign[s] + 1]++;
  }
  for (size_t l = 0; l < ivf.nlist; l++) listStart[l + 1] += listStart[l];
  size_t used = listStart[ivf.nlist];
  Scratch<idx_t, SlotQuerySite> slotQuery(used);
  Scratch<size_t, SlotOriginSite> slotOrigin(used);
  {
    Scratch<size_t, FillSite> fill(ivf.nlist);
    std::copy_n(listStart.get(), ivf.nlist, fill.get());
    for (size_t s = 0; s < nslots; s++) {
      if (assign[s] < 0) continue;
      size_t pos = fill[assign[s]]++;
      slotQuery[pos] = static_cast<idx_t>(s / nprobe);
      slotOrigin[pos] = s;
    }
  }
  // Reused between searches on this thread (keeps its capacity). Bound to a plain reference: inside the OpenMP
  // region below, the name of a thread_local would denote each worker thread's own (empty) instance.
  thread_local std::vector<ListTask> taskStore;
  std::vector<ListTask>& tasks = taskStore;
  tasks.clear();
  for (size_t l = 0; l < ivf.nlist; l++) {
    size_t count = listStart[l + 1] - listStart[l];
    if (count == 0) continue;
    size_t m = ivf.invlists->list_size(l);
    size_t rank = nprobe;
    for (size_t pos = listStart[l]; pos < listStart[l + 1]; pos++) rank = std::min(rank, slotOrigin[pos] % nprobe);
    tasks.push_back({static_cast<idx_t>(l), listStart[l], count, m * count + 1, rank});
  }
  // Every query's nearest list first (it sets the tight bounds), then biggest first within a rank, so the dynamic
  // schedule does not end on one long list.
  std::sort(tasks.begin(), tasks.end(), [](const ListTask& a, const ListTask& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.work > b.work;
  });

  Scratch<float, SlotDSite> slotD(used * k);
  Scratch<idx_t, SlotISite> slotI(used * k);
  Scratch<TopK, SlotHeapSite> slotHeaps(used);
  for (size_t s = 0; s < used; s++) {
    slotHeaps[s] = TopK{static_cast<size_t>(k), slotD.get() + s * k, slotI.get() + s * k};
    slotHeaps[s].clear();
  }

  const SimdKernels& K = indexKernels();
  int threads = std::max(1, omp_get_max_threads());
  size_t d = ivf.d;
  Scratch<std::atomic<float>, BoundSite> bounds(n);
  for (idx_t i = 0; i < n; i++) bounds[i].store(std::numeric_limits<float>::infinity(), std::memory_order_relaxed);
  double t2 = ivfProfiling() ? nowMs() : 0;
  if (packed) {
    const size_t th = static_cast<size_t>(threads);
    Scratch<float, QueryNormSite> xnorm(n);
    Scratch<float, TileQuerySite> qbuf(th * kTileQueries * d);
    std::fill(qbuf.get(), qbuf.get() + d, 0.0f);
    for (idx_t i = 0; i < n; i++) xnorm[i] = K.l2sqr(x + i * d, qbuf.get(), d);
    Scratch<float, TileNormSite> qn(th * kTileQueries);
    Scratch<float, TileOutSite> outbuf(th * kTileQueries * kTileVectors);
    Scratch<float, TileMinSite> rowMin(th * kTileQueries);
    Scratch<uint32_t, CandBufSite> candbuf(th * kTileVectors);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t t = 0; t < tasks.size(); t++) {
      size_t me = static_cast<size_t>(omp_get_thread_num());
      scanPackedList(K, *packed, tasks[t], slotQuery.get(), slotHeaps.get(), bounds.get(), x, xnorm.get(),
                     qbuf.get() + me * kTileQueries * d, qn.get() + me * kTileQueries,
                     outbuf.get() + me * kTileQueries * kTileVectors, rowMin.get() + me * kTileQueries,
                     candbuf.get() + me * kTileVectors);
    }
  } else {
    std::vector<float> centroidStore;
    Decoder dec = makeDecoder(ivf, layout, centroidStore);
    Scratch<float, QueryBufSite> qbuf(static_cast<size_t>(threads) * kGroup * d);
    Scratch<float, OutBufSite> outbuf(static_cast<size_t>(threads) * kGroup * kChunk);
    Scratch<uint32_t, CandBufSite> candbuf(static_cast<size_t>(threads) * kChunk);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t t = 0; t < tasks.size(); t++) {
      int th = omp_get_thread_num();
      scanList(K, ivf, dec, tasks[t], slotQuery.get(), slotHeaps.get(), bounds.get(), x, qbuf.get() + th * kGroup * d,
               outbuf.get() + th * kGroup * kChunk, candbuf.get() + th * kChunk);
    }
  }

  double t3 = ivfProfiling() ? nowMs() : 0;
  // Merge each query's nprobe slot heaps.
  Scratch<size_t, SlotOfOriginSite> slotOfOrigin(nslots);
  std::fill(slotOfOrigin.get(), slotOfOrigin.get() + nslots, std::numeric_limits<size_t>::max());
  for (size_t pos = 0; pos < used; pos++) slotOfOrigin[slotOrigin[pos]] = pos;
  // The packed scan's distances come from ||q||^2 + ||x||^2 - 2<q,x>: the best k + 1 of them (a spare for a near
  // tie ranked wrongly) are re-scored by direct differences against their reconstruction, as knnL2 does, so the
  // results carry no cancellation error. Under a refine stage (candidatesOnly), which re-scores them against the
  // exact vectors anyway, the tile's distances only rank them.
  const size_t kk = packed ? static_cast<size_t>(k) + 1 : static_cast<size_t>(k);
  Scratch<float, GatherSite> gathered(static_cast<size_t>(threads) * (d + kk));
  Scratch<idx_t, MergeIdSite> mergeIds(static_cast<size_t>(threads) * kk);
  Scratch<std::pair<float, idx_t>, MergePairSite> pairs(static_cast<size_t>(threads) * kk);
#pragma omp parallel for schedule(static) num_threads(threads) if (n > 64)
  for (idx_t i = 0; i < n; i++) {
    const size_t me = static_cast<size_t>(omp_get_thread_num());
    float* rec = gathered.get() + me * (d + kk);
    TopK h = packed ? TopK{kk, rec + d, mergeIds.get() + me * kk} : TopK{static_cast<size_t>(k), distances + i * k, labels + i * k};
    h.clear();
    for (size_t p = 0; p < nprobe; p++) {
      size_t pos = slotOfOrigin[i * nprobe + p];
      if (pos == std::numeric_limits<size_t>::max()) continue;
      const TopK& src = slotHeaps[pos];
      for (idx_t c = 0; c < k; c++) {
        if (src.ids[c] >= 0 && src.dis[c] < h.worst()) h.push(src.dis[c], src.ids[c]);
      }
    }
    if (!packed) {
      h.sortAscending();
      continue;
    }
    for (size_t c = 0; c < kk; c++) {
      if (h.ids[c] < 0) continue;
      const size_t at = static_cast<size_t>(h.ids[c]);
      if (!candidatesOnly) {
        packed->reconstruct(ivf, at, rec);
        h.dis[c] = K.l2sqr(x + i * d, rec, d);
      }
      h.ids[c] = packed->ids[at];
    }
    sortByDistance(kk, h.dis, h.ids, pairs.get() + me * kk);
    std::copy_n(h.dis, k, distances + i * k);
    std::copy_n(h.ids, k, labels + i * k);
  }
  if (ivfProfiling()) {
    size_t pairs = 0;
    for (const ListTask& t : tasks) pairs += t.work - 1;
    std::fprintf(stderr, "ivf: coarse %.2f ms, group %.2f ms, scan %.2f ms (%zu lists, %.0f vectors/query), merge %.2f ms\n",
                 t1 - t0, t2 - t1, t3 - t2, tasks.size(), static_cast<double>(pairs) / n, nowMs() - t3);
  }
}

}  // namespace patchline
