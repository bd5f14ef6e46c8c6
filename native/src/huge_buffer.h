// Large read-mostly arrays that searches walk in a scattered order (packed lists, the binary16 bank): on Linux they
// are 2 MiB aligned and marked MADV_HUGEPAGE, so that a 30 MB copy takes 15 TLB entries instead of 7,500 (the
// kernel's default "madvise" mode gives huge pages to nothing else). Elsewhere an ordinary allocation.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace patchline {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

template <class T>
using HugeBuffer = std::unique_ptr<T[], FreeDeleter>;

template <class T>
HugeBuffer<T> hugeBuffer(size_t n) {
  constexpr size_t kHuge = size_t{2} << 20;
  size_t bytes = n * sizeof(T);
  void* p = nullptr;
  if (bytes >= kHuge) {
    size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
    p = std::aligned_alloc(kHuge, rounded);
#if defined(__linux__)
    if (p != nullptr) madvise(p, rounded, MADV_HUGEPAGE);
#endif
  }
  if (p == nullptr) p = std::malloc(bytes > 0 ? bytes : 1);
  if (p == nullptr) throw std::bad_alloc();
  return HugeBuffer<T>(static_cast<T*>(p));
}

}  // namespace patchline
