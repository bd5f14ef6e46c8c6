// Exact k-NN of a few queries (an image's top patches, refined to make its score exact) against the whole bank,
// reading half the bytes. That search streams every bank vector once per image: memory bound, 4.2 ms of the
// 12.9 ms search on magnetic tile's 59.7k x 128 bank (AMD EPYC, 2 cores). Here a binary16 copy of the bank is
// scanned first; each copy's rounding error e_x = ||x - half(x)|| is known, so by the triangle inequality no vector
// whose half distance exceeds (T + max e_x), T an exact k-th distance already found, can be among the k nearest.
// The few vectors that pass are re-scored in float32 by direct differences: the results are knnL2's (exact = true).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "huge_buffer.h"
#include "index_knn.h"

namespace patchline {

struct HalfStore {
  const float* source = nullptr;  // the float32 vectors this copies (owned by the index)
  size_t n = 0, d = 0;
  HugeBuffer<uint16_t> codes;         // n x d binary16, row-major
  float maxError = 0;                 // max over vectors of ||x - half(x)||, rounded up
  size_t bytes() const { return n * d * sizeof(uint16_t); }
};

// nullptr when a component does not fit binary16's range (the float32 search is then used).
std::unique_ptr<HalfStore> makeHalfStore(const float* xb, size_t n, size_t d);

// Exact k-NN of the m queries x against store.source, as knnL2(..., exact = true).
void exactKnnHalf(const HalfStore& store, const float* x, size_t m, size_t k, float* distances, idx_t* labels);

}  // namespace patchline
