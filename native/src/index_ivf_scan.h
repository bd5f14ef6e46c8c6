// Batched IVF search: the queries of one batch (PatchCore's 784 patches of a part) are grouped by inverted list, so
// each probed list is streamed from memory once for all the queries that probe it, through the SIMD scan kernels.
#pragma once

#include <faiss/IndexIVF.h>

#include "index_knn.h"

namespace patchline {
class SearchCache;
}

namespace patchline {

// True when ivf's code layout has a batched kernel here: IndexIVFFlat, and IndexIVFScalarQuantizer with 8-bit
// (per-dimension range, factory "SQ8") or fp16 codes, with or without residuals.
bool ivfScanSupported(const faiss::IndexIVF& ivf);

// Searches with nprobe lists per query. Layouts without a kernel (PQ, ...) still get the coarse quantizer's
// search from here and Faiss's own list scan (search_preassigned).
// With a cache whose index qualifies (index_ivf_packed.h), the lists are scanned from their packed copy.
// candidatesOnly: the caller re-scores the results itself (a refine stage), so their distances need only rank them.
void ivfSearch(const faiss::IndexIVF& ivf, idx_t n, const float* x, idx_t k, size_t nprobe, float* distances,
               idx_t* labels, SearchCache* cache = nullptr, bool candidatesOnly = false);

}  // namespace patchline
