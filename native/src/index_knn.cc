#include "index_knn.h"

#include <faiss/impl/FaissAssert.h>
#include <faiss/utils/Heap.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "index_scratch.h"
#include "index_simd.h"

namespace patchline {

namespace {

using HeapC = faiss::CMax<float, idx_t>;
constexpr float kInf = std::numeric_limits<float>::infinity();

// Database vectors per packed block: at most 256 KiB of floats and 1024 vectors, so a block stays in L2 while a
// chunk of queries streams past it, and the distance tile (kTileRows x block) stays small.
size_t blockSize(size_t d, size_t panel) {
  size_t b = std::min<size_t>(1024, 65536 / std::max<size_t>(d, 1));
  b -= b % (2 * panel);
  return std::max(b, 2 * panel);
}

// Queries per l2Tile call.
constexpr size_t kTileRows = 64;

// Below this many multiply-adds a call runs on one thread: an OpenMP fork/join costs more than it saves, and
// k-means (thousands of small assignment calls) would mostly wait on barriers.
constexpr double kParallelWork = 16.0 * 1024 * 1024;

// Few queries (an image's top patches refined exactly, single lookups): packing the database for the tile kernel
// would cost more than the products, so the rows are streamed as they are, 4 queries per kernel pass while a block
// is in cache. Each pass is memory bound and short, so threads pay off from a smaller amount of work.
constexpr size_t kFewQueries = 16;
constexpr double kParallelFewWork = 4.0 * 1024 * 1024;

// One thread's tile buffers, carved from a per-call-site scratch area (see index_scratch.h).
struct TileBuffers {
  float *packed, *xn, *out, *rowMin, *zeros;
  uint32_t* cand;
  static size_t floats(size_t block, size_t d) { return block * d + block + kTileRows * block + kTileRows + d; }
  TileBuffers(float* base, uint32_t* cands, size_t block, size_t d)
      : packed(base),
        xn(packed + block * d),
        out(xn + block),
        rowMin(out + kTileRows * block),
        zeros(rowMin + kTileRows),
        cand(cands) {
    std::fill(zeros, zeros + d, 0.0f);
  }
};

struct TileSite;
struct CandSite;
struct CandDSite;
struct CandISite;
struct HeapSite;
struct NormSite;
struct ThreadDSite;
struct ThreadISite;
struct ThreadHeapSite;
struct PairSite;
struct FewOutSite;

// One database block [j0, j0 + nbBlock) against queries [i0, i1), feeding each query's top-k.
void scanBlock(const SimdKernels& K, const TileBuffers& s, const float* x, const float* qn, size_t i0, size_t i1,
               const float* xb, size_t j0, size_t nbBlock, size_t d, TopK* heaps) {
  size_t padded = (nbBlock + K.panel - 1) / K.panel * K.panel;
  const float* block = xb + j0 * d;
  K.pack(block, nbBlock, d, s.packed);
  for (size_t j = 0; j < nbBlock; j++) s.xn[j] = K.l2sqr(block + j * d, s.zeros, d);
  for (size_t j = nbBlock; j < padded; j++) s.xn[j] = kInf;
  for (size_t i = i0; i < i1; i += kTileRows) {
    size_t rows = std::min(kTileRows, i1 - i);
    K.l2Tile(x + i * d, rows, qn + i, s.packed, s.xn, padded, d, s.out, padded, s.rowMin);
    for (size_t r = 0; r < rows; r++) {
      TopK& h = heaps[i + r];
      if (!(s.rowMin[r] < h.worst())) continue;
      pushRow(h, s.out + r * padded, nbBlock, [j0](uint32_t j) { return static_cast<idx_t>(j0 + j); }, K.below,
              s.cand);
    }
  }
}

// Queries [0, n) (n <= kFewQueries) against database rows [j0, j0 + nbBlock), direct differences.
void scanFew(const SimdKernels& K, const float* x, size_t n, const float* xb, size_t j0, size_t nbBlock, size_t d,
             TopK* heaps, float* out, uint32_t* cand) {
  const float* block = xb + j0 * d;
  for (size_t g = 0; g < n; g += 4) {
    size_t nq = std::min<size_t>(4, n - g);
    const float* qs[4];
    for (size_t a = 0; a < nq; a++) qs[a] = x + (g + a) * d;
    K.scanF32(qs, nq, block, nbBlock, d, out);
    for (size_t a = 0; a < nq; a++) {
      pushRow(heaps[g + a], out + a * nbBlock, nbBlock, [j0](uint32_t j) { return static_cast<idx_t>(j0 + j); },
              K.below, cand);
    }
  }
}

}  // namespace

void sortByDistance(size_t k, float* dis, idx_t* ids, std::pair<float, idx_t>* v) {
  for (size_t i = 0; i < k; i++) v[i] = {ids[i] < 0 ? kInf : dis[i], ids[i] < 0 ? std::numeric_limits<idx_t>::max() : ids[i]};
  std::sort(v, v + k);
  for (size_t i = 0; i < k; i++) {
    dis[i] = v[i].first;
    ids[i] = v[i].second == std::numeric_limits<idx_t>::max() ? -1 : v[i].second;
  }
}

void TopK::clear() {
  std::fill(dis, dis + k, kInf);
  std::fill(ids, ids + k, idx_t(-1));
}

void TopK::push(float d, idx_t id) { faiss::heap_replace_top<HeapC>(k, dis, ids, d, id); }

void TopK::sortAscending() { faiss::heap_reorder<HeapC>(k, dis, ids); }

void knnL2(const float* x, size_t n, const float* xb, size_t nb, size_t d, size_t k, float* distances,
           idx_t* labels, bool exact) {
  if (n == 0 || k == 0) return;
  const SimdKernels& K = indexKernels();
  // A spare candidate lets the exact re-scoring fix a near tie that the GEMM form ranks wrongly.
  size_t kk = exact ? k + 1 : k;
  Scratch<float, CandDSite> candD(n * kk);
  Scratch<idx_t, CandISite> candI(n * kk);
  Scratch<TopK, HeapSite> heaps(n);
  for (size_t i = 0; i < n; i++) {
    heaps[i] = TopK{kk, candD.get() + i * kk, candI.get() + i * kk};
    heaps[i].clear();
  }
  Scratch<float, NormSite> qn(n + d);
  float* zeros = qn.get() + n;
  std::fill(zeros, zeros + d, 0.0f);
  for (size_t i = 0; i < n; i++) qn[i] = K.l2sqr(x + i * d, zeros, d);

  size_t block = blockSize(d, K.panel);
  size_t nBlocks = (nb + block - 1) / block;
  int threads = std::max(1, omp_get_max_threads());
  const double work = static_cast<double>(n) * static_cast<double>(nb) * static_cast<double>(d);
  const bool few = n <= kFewQueries;
  if (work < (few ? kParallelFewWork : kParallelWork)) threads = 1;
  size_t perThread = TileBuffers::floats(block, d);
  Scratch<float, TileSite> tiles(perThread * threads);
  Scratch<uint32_t, CandSite> cands(block * threads);
  auto buffers = [&](int t) { return TileBuffers(tiles.get() + t * perThread, cands.get() + t * block, block, d); };

  if (!few && (n >= 32 * static_cast<size_t>(threads) || nBlocks < 2)) {
    // Many queries: each thread takes a slice of them against the whole database (packing a block costs 1/chunk
    // of the multiply, and no merge is needed).
    size_t chunk = std::max<size_t>(32, (n + 2 * threads - 1) / (2 * threads));
    size_t nChunks = (n + chunk - 1) / chunk;
#pragma omp parallel num_threads(threads)
    {
      TileBuffers s = buffers(omp_get_thread_num());
#pragma omp for schedule(dynamic, 1)
      for (size_t c = 0; c < nChunks; c++) {
        size_t i0 = c * chunk, i1 = std::min(n, i0 + chunk);
        for (size_t b = 0; b < nBlocks; b++) {
          size_t j0 = b * block;
          scanBlock(K, s, x, qn.get(), i0, i1, xb, j0, std::min(block, nb - j0), d, heaps.get());
        }
      }
    }
  } else {
    // Fewer queries than threads can share: threads split the database, each with its own heaps, merged
    // afterwards. Up to kFewQueries the rows are streamed as they are (scanFew), above they are packed.
    size_t nh = static_cast<size_t>(threads) * n;
    Scratch<float, ThreadDSite> tD(nh * kk);
    Scratch<idx_t, ThreadISite> tI(nh * kk);
    Scratch<TopK, ThreadHeapSite> tHeaps(nh);
    for (size_t h = 0; h < nh; h++) {
      tHeaps[h] = TopK{kk, tD.get() + h * kk, tI.get() + h * kk};
      tHeaps[h].clear();
    }
    Scratch<float, FewOutSite> outs(few ? static_cast<size_t>(threads) * 4 * block : 1);
#pragma omp parallel num_threads(threads)
    {
      int t = omp_get_thread_num();
      TileBuffers s = buffers(t);
#pragma omp for schedule(dynamic, 4)
      for (size_t b = 0; b < nBlocks; b++) {
        size_t j0 = b * block, len = std::min(block, nb - j0);
        if (few) {
          scanFew(K, x, n, xb, j0, len, d, tHeaps.get() + t * n, outs.get() + t * 4 * block, s.cand);
        } else {
          scanBlock(K, s, x, qn.get(), 0, n, xb, j0, len, d, tHeaps.get() + t * n);
        }
      }
    }
    for (int t = 0; t < threads; t++) {
      for (size_t i = 0; i < n; i++) {
        const TopK& src = tHeaps[t * n + i];
        for (size_t c = 0; c < kk; c++) {
          if (src.ids[c] >= 0 && src.dis[c] < heaps[i].worst()) heaps[i].push(src.dis[c], src.ids[c]);
        }
      }
    }
  }

  Scratch<std::pair<float, idx_t>, PairSite> pairs(exact ? n * kk : 1);
#pragma omp parallel for schedule(static) num_threads(threads) if (n > 64)
  for (size_t i = 0; i < n; i++) {
    TopK& h = heaps[i];
    if (exact) {
      for (size_t c = 0; c < kk; c++) {
        if (h.ids[c] >= 0) h.dis[c] = K.l2sqr(x + i * d, xb + h.ids[c] * d, d);
      }
      sortByDistance(kk, h.dis, h.ids, pairs.get() + i * kk);
    } else {
      h.sortAscending();
    }
    std::copy(h.dis, h.dis + k, distances + i * k);
    std::copy(h.ids, h.ids + k, labels + i * k);
  }
}

struct IpPackSite;
struct IpTileSite;

void innerProducts(const float* x, size_t n, const float* y, size_t m, size_t d, float* out) {
  if (n == 0 || m == 0) return;
  const SimdKernels& K = indexKernels();
  size_t padded = (m + K.panel - 1) / K.panel * K.panel;
  // Zero norms turn the tile's qn + xn - 2<q, x> into -2<q, x>; +inf "norms" keep the padding out of the row minima.
  Scratch<float, IpPackSite> packed(padded * d + padded + kTileRows);
  float* yn = packed.get() + padded * d;
  float* zeros = yn + padded;
  K.pack(y, m, d, packed.get());
  std::fill(yn, yn + m, 0.0f);
  std::fill(yn + m, yn + padded, kInf);
  std::fill(zeros, zeros + kTileRows, 0.0f);
  int threads = std::max(1, omp_get_max_threads());
  if (static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(d) < kParallelWork) threads = 1;
  size_t tileFloats = kTileRows * padded + kTileRows;
  Scratch<float, IpTileSite> tiles(tileFloats * threads);
  size_t nTiles = (n + kTileRows - 1) / kTileRows;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (size_t t = 0; t < nTiles; t++) {
    float* tile = tiles.get() + omp_get_thread_num() * tileFloats;
    float* mins = tile + kTileRows * padded;
    size_t i0 = t * kTileRows, rows = std::min(kTileRows, n - i0);
    K.l2Tile(x + i0 * d, rows, zeros, packed.get(), yn, padded, d, tile, padded, mins);
    for (size_t r = 0; r < rows; r++) {
      for (size_t j = 0; j < m; j++) out[(i0 + r) * m + j] = -0.5f * tile[r * padded + j];
    }
  }
}

void FastFlatL2::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                        const faiss::SearchParameters* params) const {
  FAISS_THROW_IF_NOT_MSG(k > 0, "k must be > 0");
  if (params != nullptr && params->sel != nullptr) {
    // Id filtering is Faiss's business; keep its semantics.
    faiss::IndexFlatL2::search(n, x, k, distances, labels, params);
    return;
  }
  knnL2(x, n, get_xb(), ntotal, d, k, distances, labels, true);
}

namespace {

struct FastL2Computer : faiss::FlatCodesDistanceComputer {
  const SimdKernels& kernels = indexKernels();
  size_t d;
  const float* q = nullptr;
  FastL2Computer(const uint8_t* codes, size_t codeSize, size_t d)
      : faiss::FlatCodesDistanceComputer(codes, codeSize), d(d) {}
  void set_query(const float* x) override { q = x; }
  float distance_to_code(const uint8_t* code) override {
    return kernels.l2sqr(q, reinterpret_cast<const float*>(code), d);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return kernels.l2sqr(reinterpret_cast<const float*>(codes + i * code_size),
                         reinterpret_cast<const float*>(codes + j * code_size), d);
  }
};

}  // namespace

faiss::FlatCodesDistanceComputer* FastFlatL2::get_FlatCodesDistanceComputer() const {
  return new FastL2Computer(codes.data(), code_size, d);
}

faiss::Index* toFastFlat(faiss::Index* flat) {
  auto* f = dynamic_cast<faiss::IndexFlat*>(flat);
  if (f == nullptr || f->metric_type != faiss::METRIC_L2) return nullptr;
  if (dynamic_cast<FastFlatL2*>(flat) != nullptr) return nullptr;
  // Only the plain classes: a subclass (IndexFlat1D, ...) has its own semantics.
  if (typeid(*f) != typeid(faiss::IndexFlat) && typeid(*f) != typeid(faiss::IndexFlatL2)) return nullptr;
  auto* fast = new FastFlatL2(f->d);
  fast->codes.swap(f->codes);
  fast->ntotal = f->ntotal;
  fast->is_trained = f->is_trained;
  fast->verbose = f->verbose;
  return fast;
}

}  // namespace patchline
