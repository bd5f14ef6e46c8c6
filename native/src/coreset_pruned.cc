// (c) the pruned greedy coreset: the same selections as (a), touching only what the new point can change.
//
// A point's value can only drop if its distance to the newly selected point s is below that value. Three bounds,
// all from the triangle inequality, prove most points cannot qualify without computing that distance:
//   1. node:  the stored points sit in a ball tree (coreset_tree.h) whose nodes carry the maximum value below them
//      (the tree is its own tournament tree: the argmax is the root's record). A node is skipped when
//      |s - centre| - radius exceeds that maximum; a child is often skipped from its parent's distance alone
//      (|s - child centre| >= |s - parent centre| - gap).
//   2. annulus: leaves are contiguous runs of rows sorted by their distance a to the leaf centre, so a binary search
//      keeps the rows with | |s - centre| - a | <= leaf maximum, and each kept row is tested against its own value.
//   3. owner: a lowered point's value is its distance to its "owner", the selected point that last lowered it, so
//      |s - x| >= |s - owner| - value; |s - owner| is computed once per owner and iteration.
// The survivors get the exact kernel distance (the very function (a) uses, on the very same stored values, so
// results are bit-identical), gathered and prefetched since they are scattered. Every bound keeps a margin for float
// rounding (pruneSlack). Early iterations touch most leaves and spread them over the crew's threads; late ones touch
// a handful.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>

#include "coreset_crew.h"
#include "coreset_detail.h"
#include "coreset_tree.h"

namespace patchline::coreset {

namespace {

// The tree's per-node maximum: larger value first, then smaller original index (the order (a)'s argmax uses).
struct MaxRec {
  float value;
  uint32_t id;
  uint32_t pos;
};

inline bool better(const MaxRec& a, const MaxRec& b) {
  return a.value > b.value || (a.value == b.value && a.id < b.id);
}

constexpr size_t kDefaultLeafSize = 64;
// An iteration whose candidate leaves hold at least this many points spreads them over the threads.
constexpr size_t kParallelPoints = 16384;
// Subtrees handed to the crew per iteration (the frontier of a serial breadth-first expansion).
constexpr size_t kFrontier = 128;
constexpr uint32_t kNoOwner = 0xffffffffu;

template <class T>
class PrunedSampler {
 public:
  PrunedSampler(BallTree<T>& tree, std::vector<float>& value, size_t count, const simd::Kernels& k, int threads)
      : t_(tree),
        value_(value),
        k_(k),
        max_(tree.nodes.size()),
        owner_(tree.id.size(), kNoOwner),
        ownerCache_(count),
        updateRows_(simd::updateRowsFn(k, tree.rows.data())),
        dist_(simd::distFn(k, tree.rows.data())),
        slack_(pruneSlack(tree.dp)),
        y_(tree.dp),
        workers_(std::max(1, threads)) {
    selected_.reserve(count);
    for (auto& e : ownerCache_) e.store(0, std::memory_order_relaxed);
    for (size_t n = t_.nodes.size(); n-- > 0;) refresh(static_cast<uint32_t>(n));
  }

  // One greedy iteration; returns the selected point's position.
  uint32_t step(Crew& crew) {
    const uint32_t pos = max_[0].pos;
    who_ = static_cast<uint32_t>(selected_.size());
    selected_.push_back(pos);
    value_[pos] = -1.f;
    for (uint32_t n = t_.leafOf[pos];; n = t_.nodes[n].parent) {
      refresh(n);
      if (n == 0) break;
    }
    rowToFloat(t_.row(pos), y_.data(), t_.dp, k_);
    expandFrontier(crew.helpers() > 0 ? kFrontier : 1);
    if (crew.helpers() > 0 && frontierPoints_ >= kParallelPoints && frontier_.size() > 1) {
      crew.round(frontier_.size(), [&](size_t i) {
        subtree(frontier_[i], workers_[static_cast<size_t>(omp_get_thread_num()) % workers_.size()]);
      });
    } else {
      for (const auto& f : frontier_) subtree(f, workers_[0]);
    }
    for (auto& w : workers_) {
      add(w.counts);
      w.counts = Counts{};
    }
    for (size_t i = top_.size(); i-- > 0;) refresh(top_[i]);
    return pos;
  }

  double distances() const { return distances_; }
  double nodeVisits() const { return nodeVisits_; }
  double rangePoints() const { return rangePoints_; }

 private:
  // A node that survived bound 1, with its centre distance.
  struct Reached {
    uint32_t node;
    float D;
  };

  struct Counts {
    double nodes = 0, range = 0, computed = 0;
  };

  // Per-thread state of a subtree walk, a cache line apart from the others' (its counters change per node).
  struct alignas(64) Worker {
    std::vector<Reached> stack;
    std::vector<uint32_t> visited;
    std::vector<uint32_t> survivors;
    Counts counts;
  };

  void add(const Counts& c) {
    nodeVisits_ += c.nodes;
    rangePoints_ += c.range;
    distances_ += c.computed;
  }

  void refresh(uint32_t n) {
    const auto& nd = t_.nodes[n];
    if (nd.left != 0) {
      max_[n] = better(max_[nd.right], max_[nd.left]) ? max_[nd.right] : max_[nd.left];
      return;
    }
    MaxRec m{-3.f, 0xffffffffu, nd.begin};
    for (uint32_t p = nd.begin; p < nd.end; ++p) {
      const MaxRec r{value_[p], t_.id[p], p};
      if (better(r, m)) m = r;
    }
    max_[n] = m;
  }

  // Bound 1 for node n: its centre distance if the new point may lower a value below it, else a negative number.
  // A child is first tried from its parent's distance alone (|s - child centre| >= D_parent - gap).
  float reach(uint32_t n, float parentD, Counts& counts) {
    const float M = max_[n].value;
    if (M <= 0.f) return -1.f;  // nothing left to lower below it
    const auto& nd = t_.nodes[n];
    if (parentD >= 0.f) {
      const float spread = nd.parentGap + nd.radius;
      if (parentD - spread > M + slack_ * (parentD + spread) + kPruneAbsolute) return -1.f;
    }
    counts.nodes += 1;
    const float D = dist_(t_.centre(n), y_.data(), t_.dp);
    if (D - nd.radius > M + slack_ * (D + nd.radius) + kPruneAbsolute) return -1.f;
    return D;
  }

  // The top of the walk, serially: keep splitting the reached subtree with the most points until there are enough
  // subtrees to share out evenly (the work gathers around the new point, so a plain breadth-first cut would leave
  // one thread with most of it).
  void expandFrontier(size_t target) {
    frontier_.clear();
    top_.clear();
    frontierPoints_ = 0;
    Counts& counts = workers_[0].counts;
    const float D0 = reach(0, -1.f, counts);
    if (D0 < 0.f) return;
    auto size = [&](const Reached& r) { return t_.nodes[r.node].end - t_.nodes[r.node].begin; };
    auto smaller = [&](const Reached& x, const Reached& y) { return size(x) < size(y); };
    frontier_.push_back({0, D0});
    while (frontier_.size() < target) {
      // frontier_ is a max-heap by size; leaves go to done_ as they surface.
      const Reached r = frontier_.front();
      const auto& nd = t_.nodes[r.node];
      std::pop_heap(frontier_.begin(), frontier_.end(), smaller);
      frontier_.pop_back();
      if (nd.left == 0) {
        done_.push_back(r);
        if (frontier_.empty()) break;
        continue;
      }
      top_.push_back(r.node);
      for (const uint32_t child : {nd.left, nd.right}) {
        const float D = reach(child, r.D, counts);
        if (D < 0.f) continue;
        frontier_.push_back({child, D});
        std::push_heap(frontier_.begin(), frontier_.end(), smaller);
      }
      if (frontier_.empty()) break;
    }
    frontier_.insert(frontier_.end(), done_.begin(), done_.end());
    done_.clear();
    for (const auto& f : frontier_) frontierPoints_ += size(f);
  }

  // Everything below one frontier node: walk (bound 1), scan the reached leaves (bounds 2, 3 and the exact update),
  // refresh the maxima on the way back up. Touches only this subtree's points and records (and the owner cache),
  // so subtrees run in parallel.
  void subtree(const Reached& from, Worker& w) {
    w.visited.clear();
    w.stack.clear();
    w.stack.push_back(from);
    while (!w.stack.empty()) {
      const Reached r = w.stack.back();
      w.stack.pop_back();
      const auto& nd = t_.nodes[r.node];
      if (nd.left == 0) {
        scanLeaf(r, w);
        continue;
      }
      w.visited.push_back(r.node);
      for (const uint32_t child : {nd.right, nd.left}) {
        const float D = reach(child, r.D, w.counts);
        if (D >= 0.f) w.stack.push_back({child, D});
      }
    }
    for (size_t i = w.visited.size(); i-- > 0;) refresh(w.visited[i]);
  }

  // |s - owner number o|, computed once per iteration whichever thread asks first (a race only repeats the work).
  float ownerDistance(uint32_t o, Counts& counts) {
    const uint64_t stamp = static_cast<uint64_t>(who_) + 1;
    const uint64_t e = ownerCache_[o].load(std::memory_order_relaxed);
    float d;
    if ((e >> 32) == stamp) {
      const auto bits = static_cast<uint32_t>(e);
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
    counts.computed += 1;
    d = dist_(t_.row(selected_[o]), y_.data(), t_.dp);
    uint32_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    ownerCache_[o].store((stamp << 32) | bits, std::memory_order_relaxed);
    return d;
  }

  // Bounds 2 and 3 for one leaf, then the exact update of the survivors.
  void scanLeaf(const Reached& leaf, Worker& w) {
    const auto& nd = t_.nodes[leaf.node];
    const float D = leaf.D;
    const float M = max_[leaf.node].value;
    const float eta = slack_ * (D + nd.radius) + kPruneAbsolute;
    const float* a = t_.a.data();
    const size_t lo = std::lower_bound(a + nd.begin, a + nd.end, D - M - eta) - a;
    const size_t hi = std::upper_bound(a + lo, a + nd.end, D + M + eta) - a;
    if (lo >= hi) return;
    w.counts.range += static_cast<double>(hi - lo);
    auto& survivors = w.survivors;
    survivors.clear();
    for (size_t p = lo; p < hi; ++p) {
      const float v = value_[p];
      const float gap = std::fabs(D - a[p]);
      if (gap > v + slack_ * (D + a[p]) + kPruneAbsolute) continue;
      const uint32_t o = owner_[p];
      if (o != kNoOwner) {
        const float dO = ownerDistance(o, w.counts);
        if (dO - v > v + slack_ * (dO + v) + kPruneAbsolute) continue;
      }
      survivors.push_back(static_cast<uint32_t>(p));
    }
    if (survivors.empty()) return;
    w.counts.computed += static_cast<double>(survivors.size());
    const bool changed = updateRows_(t_.rows.data(), survivors.data(), survivors.size(), t_.dp, y_.data(),
                                     value_.data(), owner_.data(), who_);
    // Values only drop, so the leaf's maximum moves only when its own holder dropped.
    if (changed && value_[max_[leaf.node].pos] != max_[leaf.node].value) refresh(leaf.node);
  }

  BallTree<T>& t_;
  std::vector<float>& value_;
  const simd::Kernels& k_;
  std::vector<MaxRec> max_;
  std::vector<uint32_t> owner_;     // per position: number of the selected point that last lowered it
  std::vector<uint32_t> selected_;  // selection number -> position
  std::vector<std::atomic<uint64_t>> ownerCache_;  // per selection number: (iteration + 1) << 32 | distance bits
  const simd::UpdateRowsFn<T> updateRows_;
  const simd::DistFn<T> dist_;
  const float slack_;
  std::vector<float> y_;
  uint32_t who_ = 0;
  std::vector<Reached> frontier_, done_;
  std::vector<uint32_t> top_;  // internal nodes expanded into the frontier, parents first
  size_t frontierPoints_ = 0;
  std::vector<Worker> workers_;
  double distances_ = 0;
  double nodeVisits_ = 0;
  double rangePoints_ = 0;
};

template <class T>
Result pruned(const Input& x, const GreedyParams& p, const Control& c) {
  const simd::Kernels& k = simd::activeKernels();
  const auto t0 = std::chrono::steady_clock::now();
  Result res;
  res.stats.kernels = k.name;
  const int threads = std::max(1, c.threads);
  BallTree<T> tree;
  std::vector<float> queries;
  size_t nstarts;
  {
    Matrix<T> m = prepareStorage<T>(x, p.projectionDim, p.seed, k, c);
    const auto starts = startIndices(m.rows, p.numStarts, p.seed);
    nstarts = starts.size();
    queries = startQueries(m, starts, k);
    std::vector<uint32_t> ids(m.rows);
    for (size_t i = 0; i < m.rows; ++i) ids[i] = static_cast<uint32_t>(i);
    tree = buildBallTree(m.data.data(), m.dp, ids.data(), m.rows, p.leafSize ? p.leafSize : kDefaultLeafSize, k, c);
  }
  const size_t n = tree.id.size(), dp = tree.dp;

  // Initial values in leaf order; each row's arithmetic is (a)'s, only the order of rows differs.
  std::vector<float> init(n), value(n);
  const auto meanDist = simd::meanDistFn(k, tree.rows.data());
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long long b = 0; b < static_cast<long long>((n + 1023) / 1024); ++b) {
    const size_t lo = static_cast<size_t>(b) * 1024, cnt = std::min<size_t>(1024, n - lo);
    meanDist(tree.row(lo), cnt, dp, queries.data(), nstarts, init.data() + lo);
  }
  value = init;
  PrunedSampler<T> sampler(tree, value, p.count, k, threads);
  res.stats.prepareSeconds = secondsSince(t0);

  const auto t1 = std::chrono::steady_clock::now();
  Checkpoint cp(c, p.count);
  std::vector<uint32_t> selectedPos;
  selectedPos.reserve(p.count);
  res.indices.reserve(p.count);
  withCrew(threads, [&](Crew& crew) {
    for (size_t it = 0; it < p.count; ++it) {
      const uint32_t pos = sampler.step(crew);
      selectedPos.push_back(pos);
      res.indices.push_back(tree.id[pos]);
      cp.poll(it + 1);
    }
  });
  res.stats.selectSeconds = secondsSince(t1);
  res.stats.distances = sampler.distances();
  res.stats.nodeVisits = sampler.nodeVisits();
  res.stats.rangePoints = sampler.rangePoints();

  const auto t2 = std::chrono::steady_clock::now();
  res.radius = coverageRadius(tree.rows.data(), n, dp, value.data(), init.data(), selectedPos, k, c,
                              &res.stats.unlowered);
  res.stats.radiusSeconds = secondsSince(t2);
  return res;
}

}  // namespace

Result prunedGreedy(const Input& x, const GreedyParams& p, const Control& c) {
  return p.storage == Storage::Float16 ? pruned<uint16_t>(x, p, c) : pruned<float>(x, p, c);
}

}  // namespace patchline::coreset
