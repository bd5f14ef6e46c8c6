// Internals shared by the coreset samplers: aligned storage, the seeded PRNG, the stored (projected) matrix,
// cancellation/progress checkpoints, and the exact-radius pass.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "coreset.h"
#include "coreset_simd.h"

namespace patchline::coreset {

// Cache-line aligned array (uninitialised). Large ones (the stored points) are 2 MiB aligned and, on Linux, ask for
// transparent huge pages: the samplers stream or randomly probe hundreds of MB, where 4 KiB pages cost a TLB miss
// per row and a page fault per 4 KiB on first touch.
template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n) : n_(n) {
    if (!n) return;
    const size_t bytes = n * sizeof(T);
    align_ = bytes >= kHugeThreshold ? kHugePage : 64;
    const size_t rounded = (bytes + align_ - 1) / align_ * align_;
    p_ = static_cast<T*>(::operator new(rounded, std::align_val_t(align_)));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align_ == kHugePage) madvise(p_, rounded, MADV_HUGEPAGE);
#endif
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept : p_(o.p_), n_(o.n_), align_(o.align_) {
    o.p_ = nullptr;
    o.n_ = 0;
  }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_;
      n_ = o.n_;
      align_ = o.align_;
      o.p_ = nullptr;
      o.n_ = 0;
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { release(); }

  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }
  void release() {
    if (p_) ::operator delete(p_, std::align_val_t(align_));
    p_ = nullptr;
    n_ = 0;
  }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;
  static constexpr size_t kHugeThreshold = size_t{8} << 20;
  T* p_ = nullptr;
  size_t n_ = 0;
  size_t align_ = 64;
};

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : s_(state) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t s_;
};

constexpr uint64_t kProjectionStream = 0x243F6A8885A308D3ull;
constexpr uint64_t kStartsStream = 0x13198A2E03707344ull;

// Stored points: rows x dp (dp = d padded to 16 with zeros) in float32 or binary16.
template <class T>
struct Matrix {
  AlignedBuffer<T> data;
  size_t rows = 0;
  size_t d = 0;
  size_t dp = 0;
  const T* row(size_t i) const { return data.data() + i * dp; }
};

// Projects (or copies) the input into the stored matrix; rejects NaN/Inf (naming the row) and values the storage
// cannot hold.
template <class T>
Matrix<T> prepareStorage(const Input& x, size_t projectionDim, uint64_t seed, const simd::Kernels& k,
                         const Control& c);

// Stored row -> float32 (the query form every distance kernel takes).
void rowToFloat(const float* row, float* out, size_t dp, const simd::Kernels& k);
void rowToFloat(const uint16_t* row, float* out, size_t dp, const simd::Kernels& k);

// The starting points: min(numStarts, n) distinct indices from the seed's "starts" stream.
std::vector<uint32_t> startIndices(size_t n, size_t numStarts, uint64_t seed);

// The starting rows of a stored matrix as float32 queries (starts.size() x dp).
template <class T>
std::vector<float> startQueries(const Matrix<T>& m, const std::vector<uint32_t>& starts, const simd::Kernels& k) {
  std::vector<float> out(starts.size() * m.dp);
  for (size_t s = 0; s < starts.size(); ++s) rowToFloat(m.row(starts[s]), out.data() + s * m.dp, m.dp, k);
  return out;
}

// Relative error bound of one kernel distance over dp dimensions, tripled: the margin every pruning bound keeps so
// that a skipped point's computed distance provably could not have lowered its value. See coreset_simd.h for the
// accumulation order the bound assumes.
inline float pruneSlack(size_t dp) { return 3.0f * static_cast<float>(dp / 16 + 8) * 5.9604645e-8f; }
constexpr float kPruneAbsolute = 1e-20f;  // underflow of squared differences of nearly equal tiny values

// max over points of the distance to the nearest selected point; value/init are in `rows` order and `selected`
// holds row numbers. Lowered points (value < init) already hold that distance; the rest get an exact search.
template <class T>
double coverageRadius(const T* rows, size_t n, size_t dp, const float* value, const float* init,
                      const std::vector<uint32_t>& selected, const simd::Kernels& k, const Control& c,
                      size_t* unlowered);

// Polls cancellation and throttles progress (at most one call per 50 ms, plus the final one).
class Checkpoint {
 public:
  Checkpoint(const Control& c, uint64_t total) : c_(c), total_(total), last_(Clock::now()) {}
  void poll(uint64_t done) {
    if (c_.cancelled && c_.cancelled()) throw Cancelled();
    if (!c_.progress) return;
    auto now = Clock::now();
    if (done == total_ || now - last_ >= std::chrono::milliseconds(50)) {
      last_ = now;
      c_.progress(done, total_);
    }
  }
  void check() const {
    if (c_.cancelled && c_.cancelled()) throw Cancelled();
  }

 private:
  using Clock = std::chrono::steady_clock;
  const Control& c_;
  uint64_t total_;
  Clock::time_point last_;
};

inline double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline bool better(const simd::Best& a, const simd::Best& b) {
  return a.value > b.value || (a.value == b.value && a.index < b.index);
}

constexpr simd::Best kNoBest{-2.0f, 0xffffffffu};

}  // namespace patchline::coreset
