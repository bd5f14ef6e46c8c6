// Ball tree construction and exact nearest-distance search; the exact coverage-radius pass built on them.
#include "coreset_tree.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

namespace patchline::coreset {

namespace {

// key: the sort key of the moment; own: distance to the centre of the node the item is in; da/db: distances to the
// two candidate child centres while its node splits.
struct Item {
  float key;
  float own;
  float da, db;
  uint32_t id;
};

inline bool keyLess(const Item& x, const Item& y) { return x.key < y.key || (x.key == y.key && x.id < y.id); }

// Passes over one node's points run in fixed chunks, in parallel when the level has fewer nodes than threads,
// serially inside a parallel loop over nodes otherwise.
constexpr size_t kChunk = 8192;
// Splits never leave less than 1/8 of a node on one side: depth stays O(log n) on any data.
constexpr size_t kMinSplitDivisor = 8;
constexpr int kLloydSteps = 2;
// Points per node that choose its split (strided over the node).
constexpr size_t kSample = 1024;
// Rows are fetched in a random order: prefetch this many items ahead.
constexpr size_t kPrefetch = 8;

template <class T>
inline void prefetchRow(const T* row, size_t dp) {
#if defined(__GNUC__) || defined(__clang__)
  const char* p = reinterpret_cast<const char*>(row);
  for (size_t off = 0; off < dp * sizeof(T); off += 64) __builtin_prefetch(p + off);
#else
  (void)row;
  (void)dp;
#endif
}

// Splits are two-means from two far points of a sample, refined by Lloyd steps on it: they follow the gaps between
// clusters, so balls stay tight (a median split cuts through clusters and leaves fat, overlapping balls). The two
// means become the children's centres (rounded to the point storage), so the one pass that assigns the points also
// measures every point's distance to its new centre: the children's radii and the leaves' annulus keys come free.
template <class T>
class Builder {
 public:
  Builder(BallTree<T>& t, const T* src, size_t leafSize, const simd::Kernels& k, int threads)
      : t_(t), src_(src), dp_(t.dp), leafSize_(leafSize), k_(k), dist_(simd::distFn(k, src)), threads_(threads) {}

  std::vector<Item> items;
  std::vector<T> centres;  // node * dp, grown level by level

  void run(const Control& c) {
    const size_t n = items.size();
    t_.nodes.push_back({0, static_cast<uint32_t>(n), 0, 0, 0, 0.f, 0.f});
    centres.resize(dp_);
    root(c);
    std::vector<uint32_t> level{0}, next;
    std::vector<uint32_t> split;
    while (!level.empty()) {
      if (c.cancelled && c.cancelled()) throw Cancelled();
      split.assign(level.size(), 0);
      // Each node of the level writes its children's centres and radii into its own slot.
      childCentres_.assign(level.size() * 2 * dp_, T{});
      childRadius_.assign(level.size() * 2, 0.f);
      if (level.size() < static_cast<size_t>(2 * threads_)) {
        for (size_t i = 0; i < level.size(); ++i) split[i] = process(level[i], i, true);
      } else {
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 1)
        for (long long i = 0; i < static_cast<long long>(level.size()); ++i) split[i] = process(level[i], i, false);
      }
      next.clear();
      for (size_t i = 0; i < level.size(); ++i) {
        if (!split[i]) continue;
        auto& nd = t_.nodes[level[i]];
        const auto left = static_cast<uint32_t>(t_.nodes.size());
        nd.left = left;
        nd.right = left + 1;
        const uint32_t b = nd.begin, e = nd.end, parent = level[i];
        t_.nodes.push_back({b, split[i], 0, 0, parent, childRadius_[2 * i], 0.f});
        t_.nodes.push_back({split[i], e, 0, 0, parent, childRadius_[2 * i + 1], 0.f});
        centres.insert(centres.end(), childCentres_.begin() + 2 * i * dp_, childCentres_.begin() + 2 * (i + 1) * dp_);
        next.push_back(left);
        next.push_back(left + 1);
      }
      level.swap(next);
    }
  }

 private:
  const T* rowOf(uint32_t id) const { return src_ + static_cast<size_t>(id) * dp_; }

  template <class F>
  void chunks(size_t begin, size_t end, bool parallel, F&& f) {
    const size_t parts = (end - begin + kChunk - 1) / kChunk;
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 1) if (parallel && parts > 1)
    for (long long p = 0; p < static_cast<long long>(parts); ++p) {
      const size_t lo = begin + static_cast<size_t>(p) * kChunk;
      f(lo, std::min(end, lo + kChunk), static_cast<size_t>(p));
    }
  }

  // The root's centre (a sample mean) and every point's distance to it.
  void root(const Control&) {
    const size_t n = items.size();
    const size_t m = std::min(n, kSample);
    std::vector<uint32_t> sample(m);
    for (size_t j = 0; j < m; ++j) sample[j] = items[j * n / m].id;
    std::vector<uint8_t> side(m, 0);
    std::vector<float> c(dp_);
    sampleMeans(sample, side, c.data(), nullptr);
    storeRow(c.data(), centres.data());
    rowToFloat(centres.data(), c.data(), dp_, k_);
    std::vector<float> radius((n + kChunk - 1) / kChunk, 0.f);
    chunks(0, n, true, [&](size_t lo, size_t hi, size_t p) {
      for (size_t i = lo; i < hi; ++i) {
        if (i + kPrefetch < hi) prefetchRow(rowOf(items[i + kPrefetch].id), dp_);
        items[i].own = dist_(rowOf(items[i].id), c.data(), dp_);
        radius[p] = std::max(radius[p], items[i].own);
      }
    });
    t_.nodes[0].radius = n ? *std::max_element(radius.begin(), radius.end()) : 0.f;
  }

  // Means of the sample rows, split by side[j] (0 / 1); returns the count on side 0.
  size_t sampleMeans(const std::vector<uint32_t>& sample, const std::vector<uint8_t>& side, float* m0, float* m1) {
    std::vector<double> s0(dp_, 0.0), s1(dp_, 0.0);
    std::vector<float> row(dp_);
    size_t n0 = 0;
    for (size_t j = 0; j < sample.size(); ++j) {
      rowToFloat(rowOf(sample[j]), row.data(), dp_, k_);
      double* s = side[j] ? s1.data() : s0.data();
      for (size_t q = 0; q < dp_; ++q) s[q] += row[q];
      n0 += side[j] ? 0 : 1;
    }
    const size_t n1 = sample.size() - n0;
    for (size_t q = 0; q < dp_; ++q) {
      m0[q] = n0 ? static_cast<float>(s0[q] / static_cast<double>(n0)) : 0.f;
      if (m1) m1[q] = n1 ? static_cast<float>(s1[q] / static_cast<double>(n1)) : 0.f;
    }
    return n0;
  }

  // Leaf: sorts its items by distance to its centre. Otherwise: picks and stores the children's centres, assigns
  // and partitions the items, records the children's radii; returns the split position (0 for a leaf).
  uint32_t process(uint32_t node, size_t slot, bool parallel) {
    const auto& nd = t_.nodes[node];
    const size_t lo = nd.begin, hi = nd.end, n = hi - lo;
    if (n <= leafSize_) {
      for (size_t i = lo; i < hi; ++i) items[i].key = items[i].own;
      std::sort(items.begin() + lo, items.begin() + hi, keyLess);
      return 0;
    }
    const size_t m = std::min(n, kSample);
    std::vector<uint32_t> sample(m);
    size_t far1 = 0;
    for (size_t j = 0; j < m; ++j) {
      const size_t i = lo + j * n / m;
      sample[j] = items[i].id;
      if (items[i].own > items[lo + far1 * n / m].own) far1 = j;
    }
    std::vector<uint8_t> side(m, 0);
    std::vector<float> a(dp_), b(dp_);
    rowToFloat(rowOf(sample[far1]), a.data(), dp_, k_);
    float bestD = -1.f;
    for (size_t j = 0; j < m; ++j) {
      const float d = dist_(rowOf(sample[j]), a.data(), dp_);
      if (d > bestD) {
        bestD = d;
        rowToFloat(rowOf(sample[j]), b.data(), dp_, k_);
      }
    }
    for (int step = 0; step < kLloydSteps; ++step) {
      size_t n0 = 0;
      for (size_t j = 0; j < m; ++j) {
        const float da = dist_(rowOf(sample[j]), a.data(), dp_), db = dist_(rowOf(sample[j]), b.data(), dp_);
        side[j] = da <= db ? 0 : 1;
        n0 += side[j] ? 0 : 1;
      }
      if (n0 == 0 || n0 == m) break;
      sampleMeans(sample, side, a.data(), b.data());
    }
    // Distances are measured to the centres as stored.
    T* ca = childCentres_.data() + 2 * slot * dp_;
    T* cb = ca + dp_;
    storeRow(a.data(), ca);
    storeRow(b.data(), cb);
    rowToFloat(ca, a.data(), dp_, k_);
    rowToFloat(cb, b.data(), dp_, k_);

    const size_t parts = (n + kChunk - 1) / kChunk;
    std::vector<size_t> nearA(parts, 0);
    chunks(lo, hi, parallel, [&](size_t cl, size_t ch, size_t p) {
      for (size_t i = cl; i < ch; ++i) {
        if (i + kPrefetch < ch) prefetchRow(rowOf(items[i + kPrefetch].id), dp_);
        const T* row = rowOf(items[i].id);
        const float da = dist_(row, a.data(), dp_), db = dist_(row, b.data(), dp_);
        items[i].da = da;
        items[i].db = db;
        items[i].key = da * da - db * db;
        nearA[p] += items[i].key < 0 ? 1 : 0;
      }
    });
    size_t countA = 0;
    for (size_t v : nearA) countA += v;
    const size_t minSide = std::max<size_t>(1, n / kMinSplitDivisor);
    const size_t mid = lo + std::min(std::max(countA, minSide), n - minSide);
    std::nth_element(items.begin() + lo, items.begin() + mid, items.begin() + hi, keyLess);
    float ra = 0.f, rb = 0.f;
    for (size_t i = lo; i < mid; ++i) {
      items[i].own = items[i].da;
      ra = std::max(ra, items[i].da);
    }
    for (size_t i = mid; i < hi; ++i) {
      items[i].own = items[i].db;
      rb = std::max(rb, items[i].db);
    }
    childRadius_[2 * slot] = ra;
    childRadius_[2 * slot + 1] = rb;
    return static_cast<uint32_t>(mid);
  }

  void storeRow(const float* in, float* out) const { std::copy(in, in + dp_, out); }
  void storeRow(const float* in, uint16_t* out) const { k_.f32_to_f16(in, out, dp_); }

  BallTree<T>& t_;
  const T* src_;
  size_t dp_;
  size_t leafSize_;
  const simd::Kernels& k_;
  simd::DistFn<T> dist_;
  int threads_;
  std::vector<T> childCentres_;  // per node of the current level: its two children's centres
  std::vector<float> childRadius_;
};

}  // namespace

template <class T>
BallTree<T> buildBallTree(const T* src, size_t dp, const uint32_t* ids, size_t n, size_t leafSize,
                          const simd::Kernels& k, const Control& c) {
  BallTree<T> t;
  t.dp = dp;
  const int threads = std::max(1, c.threads);
  Builder<T> b(t, src, leafSize, k, threads);
  b.items.resize(n);
  for (size_t i = 0; i < n; ++i) b.items[i] = {0.f, 0.f, 0.f, 0.f, ids[i]};
  b.run(c);
  const size_t nodes = t.nodes.size();
  // Renumber the nodes depth-first (pre-order): a subtree's records and centres are then contiguous, which is how
  // the sampler walks them.
  {
    std::vector<uint32_t> order;  // new id -> old id
    order.reserve(nodes);
    std::vector<uint32_t> stack{0};
    while (!stack.empty()) {
      const uint32_t n = stack.back();
      stack.pop_back();
      order.push_back(n);
      if (t.nodes[n].left != 0) {
        stack.push_back(t.nodes[n].right);
        stack.push_back(t.nodes[n].left);
      }
    }
    std::vector<uint32_t> newId(nodes);
    for (size_t i = 0; i < nodes; ++i) newId[order[i]] = static_cast<uint32_t>(i);
    std::vector<typename BallTree<T>::Node> renumbered(nodes);
    t.centres = AlignedBuffer<T>(nodes * dp);
    for (size_t i = 0; i < nodes; ++i) {
      auto nd = t.nodes[order[i]];
      nd.parent = newId[nd.parent];
      if (nd.left != 0) {
        nd.left = newId[nd.left];
        nd.right = newId[nd.right];
      }
      renumbered[i] = nd;
      std::copy_n(b.centres.data() + static_cast<size_t>(order[i]) * dp, dp, t.centres.data() + i * dp);
    }
    t.nodes.swap(renumbered);
  }
  // A child's distance to its parent's centre lets the sampler bound the child without computing its own distance.
  std::vector<float> parent(dp);
  for (size_t node = 1; node < nodes; ++node) {
    rowToFloat(t.centre(t.nodes[node].parent), parent.data(), dp, k);
    t.nodes[node].parentGap = simd::distFn(k, src)(t.centre(node), parent.data(), dp);
  }

  t.rows = AlignedBuffer<T>(n * dp);
  t.id.resize(n);
  t.a.resize(n);
  t.leafOf.resize(n);
  const auto& items = b.items;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long long p = 0; p < static_cast<long long>(n); ++p) {
    t.id[p] = items[p].id;
    t.a[p] = items[p].own;
    std::copy(src + static_cast<size_t>(items[p].id) * dp, src + (static_cast<size_t>(items[p].id) + 1) * dp,
              t.rows.data() + static_cast<size_t>(p) * dp);
  }
  for (size_t node = 0; node < nodes; ++node) {
    if (!t.leaf(node)) continue;
    std::fill(t.leafOf.begin() + t.nodes[node].begin, t.leafOf.begin() + t.nodes[node].end,
              static_cast<uint32_t>(node));
  }
  return t;
}

template <class T>
float nearestDistance(const BallTree<T>& t, const float* y, float stopAt, const simd::Kernels& k) {
  const auto dist = simd::distFn(k, t.rows.data());
  const float slack = pruneSlack(t.dp);
  float best = std::numeric_limits<float>::infinity();
  struct Pending {
    uint32_t node;
    float bound;
  };
  std::vector<Pending> stack;
  stack.push_back({0, 0.f});
  auto bound = [&](uint32_t node) {
    const float D = dist(t.centre(node), y, t.dp);
    const float r = t.nodes[node].radius;
    return D - r - slack * (D + r) - kPruneAbsolute;
  };
  while (!stack.empty()) {
    const Pending p = stack.back();
    stack.pop_back();
    if (p.bound >= best) continue;
    const auto& nd = t.nodes[p.node];
    if (nd.left == 0) {
      for (size_t pos = nd.begin; pos < nd.end; ++pos) {
        const float d = dist(t.row(pos), y, t.dp);
        if (d < best) {
          best = d;
          if (best <= stopAt) return best;
        }
      }
      continue;
    }
    const float bl = bound(nd.left), br = bound(nd.right);
    // Nearer child last, so it is searched first.
    if (bl < br) {
      stack.push_back({nd.right, br});
      stack.push_back({nd.left, bl});
    } else {
      stack.push_back({nd.left, bl});
      stack.push_back({nd.right, br});
    }
  }
  return best;
}

template <class T>
double coverageRadius(const T* rows, size_t n, size_t dp, const float* value, const float* init,
                      const std::vector<uint32_t>& selected, const simd::Kernels& k, const Control& c,
                      size_t* unloweredCount) {
  float r = 0.f;
  std::vector<uint32_t> unlowered;
  for (size_t i = 0; i < n; ++i) {
    const float v = value[i];
    if (v < 0.f) continue;  // selected
    if (v < init[i]) {
      r = std::max(r, v);
    } else {
      unlowered.push_back(static_cast<uint32_t>(i));
    }
  }
  *unloweredCount = unlowered.size();
  if (unlowered.empty()) return r;
  // Larger initial values first: they are the likeliest to raise the radius, which then lets the rest stop early.
  std::sort(unlowered.begin(), unlowered.end(), [&](uint32_t x, uint32_t y) {
    return init[x] > init[y] || (init[x] == init[y] && x < y);
  });
  const BallTree<T> tree = buildBallTree(rows, dp, selected.data(), selected.size(), 32, k, c);
  std::atomic<bool> stop{false};
  const int threads = std::max(1, c.threads);
  std::vector<float> perThread(threads, r);
#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    std::vector<float> y(dp);
    float mine = r;
#pragma omp for schedule(dynamic, 16)
    for (long long i = 0; i < static_cast<long long>(unlowered.size()); ++i) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (tid == 0 && c.cancelled && c.cancelled()) stop = true;
      rowToFloat(rows + static_cast<size_t>(unlowered[i]) * dp, y.data(), dp, k);
      mine = std::max(mine, nearestDistance(tree, y.data(), mine, k));
    }
    perThread[tid] = mine;
  }
  if (stop) throw Cancelled();
  return *std::max_element(perThread.begin(), perThread.end());
}

template BallTree<float> buildBallTree(const float*, size_t, const uint32_t*, size_t, size_t, const simd::Kernels&,
                                       const Control&);
template BallTree<uint16_t> buildBallTree(const uint16_t*, size_t, const uint32_t*, size_t, size_t,
                                          const simd::Kernels&, const Control&);
template double coverageRadius(const float*, size_t, size_t, const float*, const float*, const std::vector<uint32_t>&,
                               const simd::Kernels&, const Control&, size_t*);
template double coverageRadius(const uint16_t*, size_t, size_t, const float*, const float*,
                               const std::vector<uint32_t>&, const simd::Kernels&, const Control&, size_t*);

}  // namespace patchline::coreset
