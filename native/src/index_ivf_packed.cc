#include "index_ivf_packed.h"


#include <algorithm>
#include <limits>

#include "index_simd.h"

namespace patchline {

void PackedLists::gather(size_t pos, float* out) const {
  const float* p = panels.get() + (pos / panel) * panel * d + pos % panel;
  for (size_t t = 0; t < d; t++) out[t] = p[t * panel];
}

const char* packRefusal(const faiss::IndexIVF& ivf) {
  if (ivf.code_size < static_cast<size_t>(ivf.d)) return "compressed codes (under a byte per dimension)";
  size_t panel = indexKernels().panel;
  size_t padded = 0;
  for (size_t l = 0; l < ivf.nlist; l++) padded += (ivf.invlists->list_size(l) + panel - 1) / panel * panel;
  if (padded * (static_cast<size_t>(ivf.d) * sizeof(float) + sizeof(float) + sizeof(idx_t)) > kMaxPackedBytes) {
    return "too large to keep a float copy";
  }
  return nullptr;
}

std::unique_ptr<PackedLists> packLists(const faiss::IndexIVF& ivf) {
  const SimdKernels& K = indexKernels();
  auto P = std::make_unique<PackedLists>();
  P->d = static_cast<size_t>(ivf.d);
  P->panel = K.panel;
  const size_t d = P->d, panel = P->panel, nlist = ivf.nlist;
  P->start.assign(nlist + 1, 0);
  P->size.assign(nlist, 0);
  for (size_t l = 0; l < nlist; l++) {
    P->size[l] = ivf.invlists->list_size(l);
    P->start[l + 1] = P->start[l] + (P->size[l] + panel - 1) / panel * panel;
  }
  const size_t total = P->start[nlist];
  P->panels.reset(new float[total * d]);
  P->norms.reset(new float[total]);
  P->ids.assign(total, -1);
  std::vector<float> rows, zeros(d, 0.0f);
  for (size_t l = 0; l < nlist; l++) {
    const size_t m = P->size[l], s = P->start[l];
    if (m == 0) continue;
    rows.resize(m * d);
    for (size_t o = 0; o < m; o++) ivf.reconstruct_from_offset(static_cast<int64_t>(l), static_cast<int64_t>(o), rows.data() + o * d);
    K.pack(rows.data(), m, d, P->panels.get() + s * d);
    for (size_t o = 0; o < m; o++) P->norms[s + o] = K.l2sqr(rows.data() + o * d, zeros.data(), d);
    std::fill(P->norms.get() + s + m, P->norms.get() + P->start[l + 1], std::numeric_limits<float>::infinity());
    const idx_t* ids = ivf.invlists->get_ids(l);
    std::copy_n(ids, m, P->ids.begin() + static_cast<std::ptrdiff_t>(s));
    ivf.invlists->release_ids(l, ids);
  }
  return P;
}

std::shared_ptr<const PackedLists> SearchCache::packed(const faiss::IndexIVF& ivf) {
  std::lock_guard<std::mutex> lock(mu_);
  // The panel width belongs to the kernel level, which a process may switch (simd.test.ts does).
  if (key_ != &ivf || (packed_ && packed_->panel != indexKernels().panel)) {
    key_ = &ivf;
    packed_.reset();
    refused_ = false;
  }
  if (!enabled_) return nullptr;
  if (packed_ || refused_) return packed_;
  if (packRefusal(ivf) != nullptr) {
    refused_ = true;
    return nullptr;
  }
  packed_ = packLists(ivf);
  return packed_;
}

void SearchCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  key_ = nullptr;
  packed_.reset();
  refused_ = false;
}

void SearchCache::setEnabled(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  enabled_ = on;
  if (!on) {
    key_ = nullptr;
    packed_.reset();
    refused_ = false;
  }
}

bool SearchCache::enabled() {
  std::lock_guard<std::mutex> lock(mu_);
  return enabled_;
}

size_t SearchCache::bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return packed_ ? packed_->bytes() : 0;
}

}  // namespace patchline
