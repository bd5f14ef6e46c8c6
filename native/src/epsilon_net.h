// A streaming epsilon-net (radius threshold) memory bank, pure C++ (no N-API): a vector joins the bank when no bank
// vector lies within radius r of it. Lookups go through the bank's own coarse IVF (k-means centroids trained on a
// warm-up sample; each bank vector lives in the list of its nearest centroid), probing `nprobe` lists per query with
// an early exit at the first vector within r. An approximate lookup can only miss a covering vector and add an extra
// one, so every vector ever added is within r of the bank (the epsilon-net guarantee) whatever nprobe is.
//
// A batch is resolved in two phases: (1) every query looks up the bank as it was at the start of the batch, in
// parallel; (2) the queries left uncovered are resolved in batch order against the vectors this batch has added so
// far (only the tail of each probed list), so a batch's own new vectors cover each other as in a sequential pass.
//
// Re-thinning (hard cap): raise r to r' and rebuild the net from the bank itself (oldest first) until it holds at
// most `target` vectors. A stream vector that was covered by a pruned bank vector is then within r + r' of the bank.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace patchline::epsnet {

struct AddStats {
  uint64_t uncoveredAfterLookup = 0;  // queries phase 1 found uncovered
  uint64_t vectorsScanned = 0;        // bank vectors whose distance was computed
  uint64_t listsSkipped = 0;          // probed lists skipped by the triangle inequality
};

class Net {
 public:
  Net(size_t dim, size_t nlist, size_t nprobe, float radius);

  size_t dim() const { return d_; }
  size_t nlist() const { return nlist_; }
  size_t nprobe() const { return nprobe_; }
  size_t size() const { return n_; }
  bool trained() const { return !centroids_.empty(); }
  float radius() const { return r_; }
  const std::vector<float>& centroids() const { return centroids_; }

  // k-means (Faiss Clustering on the SIMD flat kernel) over n sample vectors; needs n >= nlist. Polls cancelled.
  void train(const float* x, size_t n, uint64_t seed, const std::function<bool()>& cancelled);
  // Sets trained centroids directly (restoring a saved net).
  void setCentroids(const float* c, size_t nlist);
  // Raising the radius keeps the guarantee for everything added so far; lowering it does not (allowed, but then
  // only new vectors are held to the smaller radius).
  void setRadius(float r) { r_ = r; r2_ = r * r; }
  void setNprobe(size_t p) { nprobe_ = p < nlist_ ? p : nlist_; }

  // Folds n vectors in; returns the batch rows that joined the bank, ascending. Bank ids continue from size().
  std::vector<uint32_t> add(const float* x, size_t n, AddStats* stats);
  // Appends vectors unconditionally (restoring a saved bank); ids continue from size().
  void append(const float* x, size_t n);
  // The bank in id order (size() x dim).
  void exportVectors(float* out) const;
  // Raises the radius until the bank holds at most `target` vectors (see the file comment); returns the kept old ids
  // in their new id order (ascending). growth is the assumed bank-size exponent (size ~ r^-growth) for the steps.
  std::vector<uint32_t> rethin(size_t target, double growth, const std::function<bool()>& cancelled);
  // Distance to the nearest bank vector in the probed lists (+inf when none): for tests and coverage checks.
  void nearestProbed(const float* x, size_t n, float* dist) const;

 private:
  void assign(const float* x, size_t n, std::vector<int64_t>& labels, std::vector<float>& dis) const;
  bool coveredBy(const float* q, const int64_t* probes, const float* probeDis, const size_t* from, AddStats& st) const;
  void push(size_t list, const float* v, float distToCentroid);

  size_t d_, nlist_, nprobe_;
  float r_, r2_;
  size_t n_ = 0;
  std::vector<float> centroids_;
  std::vector<std::vector<float>> vecs_;      // per list, row-major
  std::vector<std::vector<uint32_t>> ids_;    // per list, bank ids
  std::vector<float> listRadius_;             // per list: max distance of a member to its centroid
};

}  // namespace patchline::epsnet
