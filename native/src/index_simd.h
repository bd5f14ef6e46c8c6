// Distance kernels for the index fast paths, chosen once at run time from what the CPU supports (AVX-512, AVX2+FMA,
// or portable scalar code). The Debian libfaiss.a is a generic SSE build, so these kernels, not Faiss's, decide
// search speed.
//
// Each instruction set lives in its own translation unit (index_simd_*.cc) that includes no C++ library templates:
// an inline function instantiated there with AVX-512 code could otherwise be picked by the linker for every caller
// and crash a CPU without AVX-512. Only plain functions on raw pointers cross this boundary.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd_dispatch.h"

namespace patchline {

struct SimdKernels {
  const char* name;
  // Width of a packed panel (vectors per panel) for l2Tile.
  size_t panel;

  // Squared L2 distance between two d-vectors.
  float (*l2sqr)(const float* a, const float* b, size_t d);

  // Distances from nq (1..4) queries to n contiguous vectors; out is nq rows of stride n.
  void (*scanF32)(const float* const* queries, size_t nq, const float* xs, size_t n, size_t d, float* out);
  // Same over ScalarQuantizer 8-bit codes: x = offset + code * scale per dimension. The queries must be
  // prepared as q - offset (see prepareSq8Query in index_fastpath.cc).
  void (*scanSq8)(const float* const* queries, size_t nq, const uint8_t* codes, size_t n, size_t d,
                  const float* scale, float* out);
  // Same over IEEE half-precision codes.
  void (*scanF16)(const float* const* queries, size_t nq, const uint16_t* codes, size_t n, size_t d, float* out);

  // Writes the positions j < n with v[j] < bound to out (ascending) and returns how many: the top-k filters
  // skip the rare candidates this way instead of branching on every distance.
  size_t (*below)(const float* v, size_t n, float bound, uint32_t* out);

  // Rearranges nx row-major vectors into panels of `panel` vectors stored dimension-major (zero padded to a whole
  // number of panels): the layout the tile kernel streams.
  void (*pack)(const float* x, size_t nx, size_t d, float* packed);
  // out[i * ldo + j] = qn[i] + xn[j] - 2 <q_i, x_j> for nq queries (row-major, stride d) against nxPadded packed
  // vectors (a multiple of panel); xn must hold +inf for the padding so that rowMin[i] = min_j out[i, j] only
  // sees real vectors.
  void (*l2Tile)(const float* q, size_t nq, const float* qn, const float* packed, const float* xn, size_t nxPadded,
                 size_t d, float* out, size_t ldo, float* rowMin);
};

// The kernels of the active level (simd_dispatch.h).
const SimdKernels& indexKernels();

// Per-ISA tables, defined in index_simd_*.cc.
extern const SimdKernels kScalarKernels;
#if PL_X86_SIMD
extern const SimdKernels kAvx2Kernels;
extern const SimdKernels kAvx512Kernels;
#endif

}  // namespace patchline
