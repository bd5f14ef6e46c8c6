// Grow-only per-thread scratch buffers for the search hot paths. A search of one image allocates a few MB of
// temporaries (heaps, slot tables, tiles); fresh allocations of that size come from mmap, so every search paid for
// page faults and kernel zeroing (a quarter of the time in profiles). Buffers here are kept per thread and per call
// site and only grow; above kKeepBytes a request is served by a temporary allocation instead, so a one-off huge
// call (k-means assignment of a million vectors) does not pin its memory to the thread.
#pragma once

#include <cstddef>
#include <memory>

namespace patchline {

constexpr size_t kKeepBytes = size_t{32} << 20;

// Uninitialised storage for n T's, valid until the same call site asks again on this thread. `Site` must be a type
// unique to the call site (declare one in the calling file's anonymous namespace), so nested calls never share.
template <class T, class Site>
class Scratch {
 public:
  explicit Scratch(size_t n) {
    if (n * sizeof(T) > kKeepBytes) {
      owned_.reset(new T[n]);
      ptr_ = owned_.get();
      return;
    }
    thread_local std::unique_ptr<T[]> buffer;
    thread_local size_t capacity = 0;
    if (n > capacity) {
      buffer.reset(new T[n]);
      capacity = n;
    }
    ptr_ = buffer.get();
  }
  T* get() const { return ptr_; }
  T& operator[](size_t i) const { return ptr_[i]; }

 private:
  std::unique_ptr<T[]> owned_;
  T* ptr_ = nullptr;
};

}  // namespace patchline
