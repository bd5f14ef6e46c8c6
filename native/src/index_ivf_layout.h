// The code layouts of IVF lists that PatchLine's own scan kernels and packed copies read (Flat, SQ8 with a per-
// dimension range, fp16), shared by the list scan (index_ivf_scan.cc) and the packing (index_ivf_packed.cc).
#pragma once

#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexScalarQuantizer.h>

#include <cstddef>
#include <typeinfo>

namespace patchline {

enum class Layout { None, F32, Sq8, F16 };

inline Layout layoutOf(const faiss::IndexIVF& ivf) {
  if (typeid(ivf) == typeid(faiss::IndexIVFFlat)) return Layout::F32;
  if (typeid(ivf) == typeid(faiss::IndexIVFScalarQuantizer)) {
    const auto& sq = static_cast<const faiss::IndexIVFScalarQuantizer&>(ivf).sq;
    if (sq.qtype == faiss::ScalarQuantizer::QT_8bit && sq.trained.size() == 2 * static_cast<size_t>(ivf.d)) return Layout::Sq8;
    if (sq.qtype == faiss::ScalarQuantizer::QT_fp16) return Layout::F16;
  }
  return Layout::None;
}

// Codes stored as residuals from their list's centroid.
inline bool byResidual(const faiss::IndexIVF& ivf) {
  return typeid(ivf) == typeid(faiss::IndexIVFScalarQuantizer) &&
         static_cast<const faiss::IndexIVFScalarQuantizer&>(ivf).by_residual;
}

}  // namespace patchline
