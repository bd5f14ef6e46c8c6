// Exact k-NN and the Flat storage built on it: what every fast path of the index shares.
#pragma once

#include <faiss/IndexFlat.h>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace patchline {

using idx_t = faiss::Index::idx_t;

// Exact L2 k-NN of n queries against nb row-major vectors, on the SIMD tile kernel (a register-blocked GEMM fused
// with the top-k selection). Results are sorted ascending; missing results are (+inf, -1). With exact = true the
// surviving candidates are re-scored by direct differences, so distances carry no ||q||^2 + ||x||^2 - 2<q,x>
// cancellation error and near ties resolve as a brute-force loop would; coarse quantization skips that step.
void knnL2(const float* x, size_t n, const float* xb, size_t nb, size_t d, size_t k, float* distances,
           idx_t* labels, bool exact = true);

// out[i * m + j] = <x_i, y_j> for n row-major x against m row-major y (dimension d), on the SIMD tile kernel: the
// matrix products of PCA / linear transforms at search time, without OpenBLAS (which picks AVX2 kernels on CPUs
// newer than its build, e.g. Zen 4/5).
void innerProducts(const float* x, size_t n, const float* y, size_t m, size_t d, float* out);

// Keeps the k smallest of a stream of (distance, label) pairs: a max-heap over caller-owned arrays.
struct TopK {
  size_t k;
  float* dis;
  idx_t* ids;
  void clear();
  float worst() const { return dis[0]; }
  void push(float d, idx_t id);  // only call when d < worst()
  void sortAscending();          // ends the heap: dis/ids become sorted, (+inf, -1) last
};

// Feeds the distances row[0..n) to h (label(j) names position j), ignoring anything not below `limit` (a bound
// known from elsewhere). The SIMD `below` filter drops everything not better than the current worst, so only the
// rare candidates reach the branchy heap code. cand holds n entries.
template <class Label>
inline void pushRow(TopK& h, const float* row, size_t n, Label label,
                    size_t (*below)(const float*, size_t, float, uint32_t*), uint32_t* cand,
                    float limit = std::numeric_limits<float>::infinity()) {
  float worst = std::min(h.worst(), limit);
  if (worst == std::numeric_limits<float>::infinity() && h.k <= 64 && n >= 8 * h.k) {
    // An empty heap lets the whole row through the filter (the coarse step's first block is every centroid, at
    // k = nprobe). Each of 2k groups' minimum is an element of the row, so the k-th smallest of those minima
    // bounds the row's k-th smallest from above: a filter that keeps a few times k candidates instead of n.
    const size_t groups = 2 * h.k, per = n / groups;
    float mins[128];
    for (size_t g = 0; g < groups; g++) {
      const float* r = row + g * per;
      float m = r[0];
      for (size_t j = 1; j < per; j++) m = r[j] < m ? r[j] : m;
      mins[g] = m;
    }
    std::nth_element(mins, mins + (h.k - 1), mins + groups);
    worst = std::nextafter(mins[h.k - 1], std::numeric_limits<float>::infinity());
  }
  size_t count = below(row, n, worst, cand);
  for (size_t c = 0; c < count; c++) {
    uint32_t j = cand[c];
    if (row[j] < worst) {
      h.push(row[j], label(j));
      worst = std::min(h.worst(), limit);
    }
  }
}

// Sorts k (distance, label) pairs ascending by distance then label; label -1 entries go last with distance +inf.
// `scratch` holds k pairs (no allocation here: this runs inside OpenMP regions, where a throw would abort).
void sortByDistance(size_t k, float* dis, idx_t* ids, std::pair<float, idx_t>* scratch);

// IndexFlatL2 whose search and distance computer run on the SIMD kernels. Faiss serialises it as a plain
// IndexFlatL2 (write_index tests dynamic_cast<IndexFlat*>), and wrapFlatStorage puts it back after a read, so
// the file format is untouched. Used for Flat indexes, IVF coarse quantizers (which also speeds up k-means and
// add, both of which search the quantizer), HNSW storage, and refinement stages.
struct FastFlatL2 : faiss::IndexFlatL2 {
  explicit FastFlatL2(idx_t d) : faiss::IndexFlatL2(d) {}
  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

// Replaces an exact faiss::IndexFlatL2 / IndexFlat(L2) by a FastFlatL2 holding the same vectors (moved, not
// copied). Returns the new index, or nullptr when `flat` is not a plain L2 Flat.
faiss::Index* toFastFlat(faiss::Index* flat);

}  // namespace patchline
