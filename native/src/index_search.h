// k-NN search over a composite Faiss index with per-call runtime parameters. It follows the tree itself
// (PreTransform, IDMap, Refine, IVF, HNSW, Flat) instead of calling the root's search, for two reasons:
// the parameters travel with the call (no shared nprobe/efSearch field is written, so concurrent searches with
// different settings never race), and each leaf gets the fast path that suits it.
#pragma once

#include <faiss/Index.h>

#include <cstddef>
#include <limits>

#include "index_tree.h"

namespace patchline {

class SearchCache;

// Distances are squared L2; where fewer than k results exist, labels are -1 and distances +inf.
// fastPaths = false runs Faiss's own search at every node (with the same parameters): the reference for tests.
// cache: the index's derived search data (index_ivf_packed.h), owned by its wrapper; nullptr searches without.
// candidatesOnly: the caller re-scores every result exactly (a refine stage above), so distances need only rank.
void searchTree(const faiss::Index& index, faiss::Index::idx_t n, const float* x, faiss::Index::idx_t k,
                float* distances, faiss::Index::idx_t* labels, const RuntimeParams& params, bool fastPaths = true,
                SearchCache* cache = nullptr, bool candidatesOnly = false);

// Gives every missing result (label -1) the distance +inf, whatever the node below wrote there.
inline void markMissing(float* distances, const faiss::Index::idx_t* labels, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (labels[i] < 0) distances[i] = std::numeric_limits<float>::infinity();
  }
}

}  // namespace patchline
