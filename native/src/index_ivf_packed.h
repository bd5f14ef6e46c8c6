// The inverted lists of an IVF index decoded once into the tile kernel's panel layout (SimdKernels::pack), so that
// a batched search scans each probed list as a small matrix product of the queries that probe it (l2Tile, the
// kernel of exact Flat search) instead of one decoded vector at a time. On magnetic tile's 59.7k x 128 SQ8 bank the
// list scan was ~4x slower per distance than the tile kernel (docs/speed.md, "Packed lists").
//
// The panels hold the index's own reconstructions (Faiss's reconstruct_from_offset), so distances are those the
// plain list scan computes, to float rounding. Only Flat, SQ8 and fp16 lists are packed, up to kMaxPackedBytes of
// floats: compressed (PQ) and day-scale banks exist to save that memory. A mapped
// index (IO_FLAG_MMAP) gets a private copy too: a fit's bank is tens of MB, and its lists are then not paged in.
#pragma once

#include <faiss/IndexIVF.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "huge_buffer.h"
#include "index_exact_half.h"
#include "index_knn.h"

namespace patchline {

// A packed copy costs 4·d + 12 bytes per vector (floats, norm, id): 31 MB for 59.7k x 128.
constexpr size_t kMaxPackedBytes = size_t{256} << 20;

struct PackedLists {
  size_t d = 0;
  size_t panel = 0;
  std::vector<size_t> start;         // nlist + 1: first packed position of each list, a multiple of panel
  std::vector<size_t> size;          // nlist: vectors in each list
  HugeBuffer<float> panels;          // start[nlist] x d, in panels of `panel` vectors stored dimension-major
  HugeBuffer<float> norms;           // start[nlist]: squared norms; +inf for the padding, which never wins
  std::vector<idx_t> ids;            // start[nlist]: the index's ids; -1 for the padding

  size_t bytes() const {
    return start.back() * (d * sizeof(float) + sizeof(float) + sizeof(idx_t)) + centroids.size() * sizeof(float);
  }
  std::vector<float> centroids;      // nlist x d, for codes stored as residuals; empty otherwise

  // The reconstruction at packed position pos of ivf (the index this was packed from), decoded from its code: a
  // panel is dimension-major, so reading one vector back out of it would touch d cache lines. Never throws (it
  // runs inside OpenMP regions).
  void reconstruct(const faiss::IndexIVF& ivf, size_t pos, float* out) const;
};

// Whether ivf's lists may be packed, and the bytes it would take; nullptr reason means yes.
const char* packRefusal(const faiss::IndexIVF& ivf);

// Builds the packed lists of ivf (throws what Faiss throws).
std::unique_ptr<PackedLists> packLists(const faiss::IndexIVF& ivf);

// Search data derived from one index, owned beside it by the N-API wrapper (index_wrap.cc), which clears it before
// every operation that changes the index. Safe to call from concurrent searches.
class SearchCache {
 public:
  // The packed lists of ivf, built on first use; nullptr when it does not qualify (packRefusal).
  std::shared_ptr<const PackedLists> packed(const faiss::IndexIVF& ivf);
  // The binary16 copy of the index's own exact vectors xb (n x d), built on first use; nullptr when they do not fit
  // binary16 or the switch is off.
  std::shared_ptr<const HalfStore> half(const float* xb, size_t n, size_t d);
  void clear();
  // Bytes of the packed lists and the binary16 copy now held (0 until a search built them).
  size_t bytes();
  // Off: searches scan the index's own lists and vectors (the baseline of bench:engine --compare, and a memory
  // saving).
  void setEnabled(bool on);
  bool enabled();

 private:
  std::mutex mu_;
  bool enabled_ = true;
  const faiss::IndexIVF* key_ = nullptr;
  std::shared_ptr<const PackedLists> packed_;
  bool refused_ = false;
  std::shared_ptr<const HalfStore> half_;
  bool halfRefused_ = false;
};

}  // namespace patchline
