// A ball tree over stored points, laid out for the pruned sampler: every leaf's rows are contiguous (one copy of
// the points in leaf order) and sorted by their distance to the leaf centre, every node knows its centre and radius.
// Splits are two-means (seeded by two far points, refined by Lloyd steps) clamped to at least 1/8 per side; the tree
// is built level by level (in parallel; the tree depends only on the data), then numbered depth-first: a child's id
// is larger than its parent's and every subtree is a contiguous id range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "coreset_detail.h"

namespace patchline::coreset {

template <class T>
struct BallTree {
  struct Node {
    uint32_t begin, end;  // positions of its points
    uint32_t left, right; // children; 0 for a leaf (the root, id 0, is nobody's child)
    uint32_t parent;
    float radius;         // max kernel distance of its points to its centre
    float parentGap;      // kernel distance between its centre and its parent's (0 for the root)
  };
  size_t dp = 0;
  AlignedBuffer<T> rows;         // rows[pos], leaf order
  std::vector<uint32_t> id;      // pos -> the caller's row number
  std::vector<float> a;          // pos -> distance to its leaf's centre, ascending within the leaf
  std::vector<uint32_t> leafOf;  // pos -> leaf node
  std::vector<Node> nodes;
  AlignedBuffer<T> centres;      // node * dp, in the point storage (a centre is just one more stored point)

  const T* row(size_t pos) const { return rows.data() + pos * dp; }
  const T* centre(size_t node) const { return centres.data() + node * dp; }
  bool leaf(size_t node) const { return nodes[node].left == 0; }
};

// Builds over the rows src[ids[i]] (each dp wide), leaves of at most leafSize points.
template <class T>
BallTree<T> buildBallTree(const T* src, size_t dp, const uint32_t* ids, size_t n, size_t leafSize,
                          const simd::Kernels& k, const Control& c);

// The smallest kernel distance from y (float32, dp wide) to a tree point, exact; returns early with any distance
// <= stopAt once one is found (the caller only needs to know it does not exceed stopAt).
template <class T>
float nearestDistance(const BallTree<T>& t, const float* y, float stopAt, const simd::Kernels& k);

}  // namespace patchline::coreset
