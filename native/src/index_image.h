// One image against the memory bank in one call: the approximate k-NN of all its patches, then the exact
// refinement of the highest-scoring patches until the image maximum is exact. The same rule as the engine's
// Scorer.refine (electron/engine/score/scorer.ts), without its round trips:
//   score(p)  = mean over the k neighbours of sqrt(squared L2 distance), rounded to float32;
//   order     = patches by descending approximate score (stable: ties keep patch order);
//   rounds    = take the next `exactTop` patches of that order and search them exactly (the Flat search's own
//               kernel, knnL2 with exact re-scoring), replacing their distances, labels and scores; stop before a
//               round when the best exact score so far is >= the approximate score of the first patch left.
//   maximum   = the first patch of largest score after refinement.
// With an index whose distances are exact distances to the candidates it found (Flat, "...,RFlat"), a patch's
// approximate score is an upper bound of its exact one, so the maximum is the exact image maximum.
#pragma once

#include <faiss/Index.h>

#include <cstddef>
#include <cstdint>
#include <functional>

#include "index_tree.h"

namespace patchline {

class SearchCache;

struct ImageSearchRequest {
  faiss::Index::idx_t n = 0;  // patches
  const float* queries = nullptr;  // n x d
  faiss::Index::idx_t k = 1;
  size_t exactTop = 0;  // patches per refinement round; 0: no refinement
  RuntimeParams params;
  // The bank's vectors in position (add) order, when the index keeps none of its own; ignored when it does.
  const float* exactVectors = nullptr;
  size_t exactRows = 0;
  SearchCache* cache = nullptr;  // the index's derived search data (index_ivf_packed.h), or none
};

// Caller-owned output arrays.
struct ImageSearchOutput {
  float* distances = nullptr;           // n x k squared L2, ascending per patch; +inf where label is -1
  faiss::Index::idx_t* labels = nullptr;  // n x k
  float* scores = nullptr;              // n
  uint32_t* refined = nullptr;          // n: the refined patches, in refinement order (first refinedCount)
  size_t refinedCount = 0;
  size_t rounds = 0;
  bool exact = false;                   // every patch's result is exact (a Flat index)
  size_t maxPatch = 0;
  float maxScore = 0;
};

// Where an image search finds exact vectors in this index: "flat" (it is exact), "refine" (a Flat refine stage),
// or nullptr (the caller must pass them).
const char* exactSource(const faiss::Index& index);

// Throws a StateError when refinement is asked for, the index keeps no exact vectors and none were given, or
// an InputError when the given ones do not match the index. cancelled is polled between rounds.
void searchImage(const faiss::Index& index, const ImageSearchRequest& req, ImageSearchOutput& out,
                 const std::function<void()>& throwIfCancelled);

}  // namespace patchline
