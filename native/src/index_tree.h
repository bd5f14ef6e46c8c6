// Walks over the tree of a composite Faiss index (PreTransform > IDMap > Refine > IVF > quantizer, HNSW > storage):
// fast-path wrapping, validation of a file just read, runtime parameters and memory accounting.
#pragma once

#include <faiss/Index.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace patchline {

// Swaps every plain L2 IndexFlat the tree owns (the index itself, IVF quantizers, HNSW storage, refinement
// stages) for a FastFlatL2 holding the same vectors.
void wrapFastStorage(std::unique_ptr<faiss::Index>& root);

// index_factory turns on polysemous training for PQ codes unless the string ends in "np". It only serves
// Hamming-thresholded search (never used here) and, with the generic build's software popcount, makes training take
// minutes: switch it off.
void disablePolysemousTraining(faiss::Index& root);

// Throws a UserError naming the first inconsistency of an index read from a file (sizes that do not add up,
// graph links out of range, mapped lists past the end of the file...): Faiss reads such data without complaint and
// would then read out of bounds while searching.
void validateTree(const faiss::Index& root, const std::string& path);

// While alive, every product quantizer in the tree (IVF-PQ, PQ, OPQ rotations) runs the k-means of its training on
// a FastFlatL2: Faiss's own assignment (knn_L2sqr over 4..8-dimensional sub-vectors) is what makes PQ training take
// minutes in the generic build. Faiss never deletes ProductQuantizer::assign_index, so this object owns them and
// unhooks them when training ends.
class FastTraining {
 public:
  explicit FastTraining(faiss::Index& root);
  ~FastTraining();
  FastTraining(const FastTraining&) = delete;
  FastTraining& operator=(const FastTraining&) = delete;

 private:
  struct Hook;
  std::vector<std::unique_ptr<Hook>> hooks_;
};

// After an interrupted or failed train(): an IVF left untrained may hold a quantizer that k-means filled with
// unfinished centroids, which the next train() would keep ("quantizer does not need training"). Empty them.
void forgetPartialTraining(faiss::Index& root);

struct RuntimeParams {
  long nprobe = -1;    // IVF: inverted lists visited per query
  long efSearch = -1;  // HNSW: candidate list size
  double kFactor = -1; // IndexRefine: candidates re-ranked per result
};

struct TreeInfo {
  bool ivf = false, hnsw = false, refine = false;
  bool needsIds = false;  // an IDMap: add() must be given ids
  bool readOnly = false;  // inverted lists mapped from a file
  size_t nlist = 0;
};

TreeInfo inspect(const faiss::Index& root);
// The values stored in the index (first IVF / HNSW / Refine node found), -1 where absent.
RuntimeParams currentParams(const faiss::Index& root);
// Stores the parameters in every node they apply to, so that write() persists them. nprobe is clamped to nlist.
void applyParams(faiss::Index& root, const RuntimeParams& p);

struct MemoryUse {
  size_t heap = 0;    // vectors, codes, ids, graph links, centroids, transforms held in process memory
  size_t mapped = 0;  // inverted lists mapped from the index file (IO_FLAG_MMAP), paged in on demand
};
MemoryUse memoryUse(const faiss::Index& root);

}  // namespace patchline
