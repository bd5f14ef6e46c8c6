// Distance and conversion kernels of the coreset sampler, one table per instruction set, chosen at run time.
//
// Every table computes bit-identical results: a squared distance is accumulated in 16 lanes (lane l takes the
// dimensions l, l+16, l+32, ... in order, one fused multiply-add each), then the lanes are summed by one fixed tree
// (l + l+8, then + l+4, + l+2, + l+1), then sqrt. Rows are zero-padded to a multiple of 16 so no table needs a tail.
// The same scheme holds for the projection's dot products. So a seed gives the same projection, the same distances and
// the same coreset on an AVX-512 server, an AVX2 laptop and the scalar fallback, and the approximate (a) and pruned
// (c) samplers, which share these kernels, select identical sequences.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd_dispatch.h"

namespace patchline::simd {

constexpr size_t kLanes = 16;
inline size_t padded(size_t d) { return (d + kLanes - 1) / kLanes * kLanes; }

// The running maximum of a scan: the larger value wins, the smaller index on ties (numpy/torch argmax order).
struct Best {
  float value;
  uint32_t index;
};

// One pass of the approximate greedy update over n consecutive stored rows: value[i] = min(value[i], |row_i - y|),
// and best takes the maximum of the updated values (index = first + i). Selected points carry value -1 and stay so.
template <class T>
using MinUpdateFn = void (*)(const T* rows, size_t n, size_t dp, const float* y, float* value, uint32_t first,
                             Best* best);

// The pruned sampler's exact updates: for each listed position p, value[p] = min(value[p], |rows[p] - y|), the same
// arithmetic as MinUpdateFn; a lowered point records `who` (the selected point's number) in owner[p]. Rows are
// prefetched a few positions ahead (the positions are scattered). Returns whether any value dropped.
template <class T>
using UpdateRowsFn = bool (*)(const T* rows, const uint32_t* positions, size_t n, size_t dp, const float* y,
                              float* value, uint32_t* owner, uint32_t who);

// value[i] = mean over the starts of |row_i - start_s| (sum in start order, then divided by the count).
template <class T>
using MeanDistFn = void (*)(const T* rows, size_t n, size_t dp, const float* starts, size_t nstarts, float* out);

template <class T>
using DistFn = float (*)(const T* row, const float* y, size_t dp);

struct Kernels {
  const char* name;
  DistFn<float> dist_f32;
  DistFn<uint16_t> dist_f16;
  MinUpdateFn<float> min_update_f32;
  MinUpdateFn<uint16_t> min_update_f16;
  UpdateRowsFn<float> update_rows_f32;
  UpdateRowsFn<uint16_t> update_rows_f16;
  MeanDistFn<float> mean_dist_f32;
  MeanDistFn<uint16_t> mean_dist_f16;
  // IEEE binary16 <-> binary32, round to nearest even (what F16C does), n values.
  void (*f16_to_f32)(const uint16_t* in, float* out, size_t n);
  void (*f32_to_f16)(const float* in, uint16_t* out, size_t n);
  // out[r * out_stride + j] = dot(x_r, w_j) for r < rows, j < m; x rows and w rows have dp (padded) floats.
  void (*project)(const float* x, size_t rows, size_t dp, const float* w, size_t m, float* out, size_t out_stride);
};

// The table of the active level (simd_dispatch.h).
const Kernels& activeKernels();

// Storage-type dispatch for the templated samplers.
inline DistFn<float> distFn(const Kernels& k, const float*) { return k.dist_f32; }
inline DistFn<uint16_t> distFn(const Kernels& k, const uint16_t*) { return k.dist_f16; }
inline MinUpdateFn<float> minUpdateFn(const Kernels& k, const float*) { return k.min_update_f32; }
inline MinUpdateFn<uint16_t> minUpdateFn(const Kernels& k, const uint16_t*) { return k.min_update_f16; }
inline UpdateRowsFn<float> updateRowsFn(const Kernels& k, const float*) { return k.update_rows_f32; }
inline UpdateRowsFn<uint16_t> updateRowsFn(const Kernels& k, const uint16_t*) { return k.update_rows_f16; }
inline MeanDistFn<float> meanDistFn(const Kernels& k, const float*) { return k.mean_dist_f32; }
inline MeanDistFn<uint16_t> meanDistFn(const Kernels& k, const uint16_t*) { return k.mean_dist_f16; }

// Per-ISA tables (simd_scalar.cc, simd_avx2.cc, simd_avx512.cc).
extern const Kernels* const kScalarKernels;
#if PL_X86_SIMD
extern const Kernels* const kAvx2Kernels;
extern const Kernels* const kAvx512Kernels;
#endif

}  // namespace patchline::simd
