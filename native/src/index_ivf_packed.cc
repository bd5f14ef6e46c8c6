#include "index_ivf_packed.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include "index_ivf_layout.h"
#include "index_profile.h"
#include "index_simd.h"
#include "simd_half.h"

namespace patchline {

namespace {

// PATCHLINE_IVF_PROFILE=1 also prints how long each search copy took to build.
void reportBuild(const char* what, double t0) {
  if (ivfProfiling()) std::fprintf(stderr, "built %s in %.1f ms\n", what, nowMs() - t0);
}

// The m vectors of list l from offset `first`, as Faiss's reconstruct_from_offset gives them, decoded here: Faiss's
// per-vector call costs ~45 us in the generic build (2.7 s for a 60k bank, paid by the first image), and the merge
// calls this inside an OpenMP region, where nothing may throw. Same arithmetic as Faiss: SQ8 component
// = vmin + ((code + 0.5) / 255) * vdiff, then + the list's centroid (by residual).
void decodeList(const faiss::IndexIVF& ivf, Layout kind, const float* centroids, size_t l, size_t first, size_t m,
                float* out) {
  const size_t d = static_cast<size_t>(ivf.d);
  const uint8_t* listCodes = ivf.invlists->get_codes(l);
  const uint8_t* codes = listCodes + first * ivf.code_size;
  if (kind == Layout::F32) {
    std::copy_n(reinterpret_cast<const float*>(codes), m * d, out);
  } else {
    const auto& sq = static_cast<const faiss::IndexIVFScalarQuantizer&>(ivf).sq;
    const float* centroid = centroids != nullptr ? centroids + l * d : nullptr;
    for (size_t o = 0; o < m; o++) {
      float* v = out + o * d;
      const uint8_t* c = codes + o * ivf.code_size;
      for (size_t t = 0; t < d; t++) {
        if (kind == Layout::Sq8) {
          float xi = (c[t] + 0.5f) / 255.0f;
          v[t] = sq.trained[t] + xi * sq.trained[d + t];
        } else {
          uint16_t h;
          std::memcpy(&h, c + 2 * t, sizeof h);
          v[t] = simd::halfToFloat(h);
        }
      }
      if (centroid != nullptr) {
        for (size_t t = 0; t < d; t++) v[t] += centroid[t];
      }
    }
  }
  ivf.invlists->release_codes(l, listCodes);
}

}  // namespace

void PackedLists::reconstruct(const faiss::IndexIVF& ivf, size_t pos, float* out) const {
  // The list holding pos: the last one starting at or before it (empty lists start where the next one does).
  size_t l = static_cast<size_t>(std::upper_bound(start.begin(), start.end(), pos) - start.begin()) - 1;
  decodeList(ivf, layoutOf(ivf), centroids.empty() ? nullptr : centroids.data(), l, pos - start[l], 1, out);
}

const char* packRefusal(const faiss::IndexIVF& ivf) {
  if (layoutOf(ivf) == Layout::None) return "codes of a kind the packing does not decode (it takes Flat, SQ8 and fp16)";
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
  P->panels = hugeBuffer<float>(total * d);
  P->norms = hugeBuffer<float>(total);
  P->ids.assign(total, -1);
  std::vector<float> rows, zeros(d, 0.0f);
  const Layout kind = layoutOf(ivf);
  if (byResidual(ivf)) {
    P->centroids.resize(nlist * d);
    ivf.quantizer->reconstruct_n(0, static_cast<idx_t>(nlist), P->centroids.data());
  }
  for (size_t l = 0; l < nlist; l++) {
    const size_t m = P->size[l], s = P->start[l];
    if (m == 0) continue;
    rows.resize(m * d);
    decodeList(ivf, kind, P->centroids.empty() ? nullptr : P->centroids.data(), l, 0, m, rows.data());
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
  const double t0 = nowMs();
  packed_ = packLists(ivf);
  reportBuild("packed lists", t0);
  return packed_;
}

std::shared_ptr<const HalfStore> SearchCache::half(const float* xb, size_t n, size_t d) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!enabled_) return nullptr;
  if (half_ && (half_->source != xb || half_->n != n || half_->d != d)) half_.reset();
  if (half_ || halfRefused_) return half_;
  const double t0 = nowMs();
  half_ = makeHalfStore(xb, n, d);
  reportBuild("binary16 bank", t0);
  halfRefused_ = !half_;
  return half_;
}

void SearchCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  key_ = nullptr;
  packed_.reset();
  refused_ = false;
  half_.reset();
  halfRefused_ = false;
}

void SearchCache::setEnabled(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  enabled_ = on;
  if (!on) {
    key_ = nullptr;
    packed_.reset();
    refused_ = false;
    half_.reset();
    halfRefused_ = false;
  }
}

bool SearchCache::enabled() {
  std::lock_guard<std::mutex> lock(mu_);
  return enabled_;
}

size_t SearchCache::bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return (packed_ ? packed_->bytes() : 0) + (half_ ? half_->bytes() : 0);
}

}  // namespace patchline
