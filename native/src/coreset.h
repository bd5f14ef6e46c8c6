// Coreset kernels, pure C++ (no N-API): approximate greedy (a), exact greedy (b) and the pruned variant (c).
//
// (a) is patchcore-inspection's ApproximateGreedyCoresetSampler: project the N x D features to d' dimensions with a
//     random linear map (torch.nn.Linear(D, d', bias=False) init: U(-1/sqrt(D), 1/sqrt(D)); no projection when
//     D == d'), pick min(numStarts, N) distinct random starting points (not selected), give every point the MEAN
//     Euclidean distance to them, then `count` times: select the argmax (smallest index on ties) and lower every value
//     to its distance to the selected point. A selected point's value becomes -1, so indices are always distinct
//     (the reference can re-pick a point once every remaining value is 0, i.e. on duplicate data).
// (b) the same rule without projection, in float64, brute force: the reference for tests on small N.
// (c) selects exactly what (a) selects: a ball tree over the stored points bounds each block by the triangle
//     inequality and keeps a per-node maximum, so an iteration touches only the blocks and the annuli whose values
//     the new point can lower. (a) and (c) share the distance kernels and storage (coreset_simd.h), so the skipped
//     work is provably without effect (bounds carry a margin for float rounding) and the sequences are identical.
//
// Determinism: the seed drives SplitMix64 (Steele, Lea, Flood 2014:
//   state += 0x9E3779B97F4A7C15; z = state; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9; z = (z ^ z>>27) * 0x94D049BB133111EB;
//   return z ^ z>>31) in two independent streams:
//   projection: state0 = seed ^ 0x243F6A8885A308D3; W[j][k] for j < d' (outer), k < D (inner) is
//               float((2u - 1) / sqrt(D)) in double arithmetic, u = (next() >> 40) * 2^-24;
//   starts:     state0 = seed ^ 0x13198A2E03707344; index = ((next() >> 32) * N) >> 32, redrawn while already taken.
// The kernels give bit-identical results on every instruction set (coreset_simd.h), so a seed gives one answer.
//
// Radius: max over all points of the Euclidean distance (in the stored, projected space) to the nearest SELECTED
// point. The running value of a point that was never lowered below its initial mean distance is only an upper-bounded
// proxy, so those few points get an exact nearest-selected search at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>

#include "native_error.h"

namespace patchline::coreset {

// Thrown out of a sampler when Control::cancelled() turns true (the addon's one Cancelled); bad input throws
// std::invalid_argument with a message meant for the user.
using patchline::Cancelled;

enum class Storage { Float32, Float16 };

// A borrowed, row-major view of the caller's features: float32, or IEEE binary16 bit patterns.
struct Input {
  const void* data = nullptr;
  bool float16 = false;
  size_t rows = 0;
  size_t cols = 0;
};

struct GreedyParams {
  size_t count = 0;           // points to select, 1..rows
  size_t projectionDim = 128; // d'; no projection when it equals cols; ignored by (b)
  size_t numStarts = 10;
  uint64_t seed = 0;
  Storage storage = Storage::Float32;  // ignored by (b)
  size_t leafSize = 0;                 // (c) only; 0 = default
};

// Polled between iterations by the worker thread.
struct Control {
  std::function<bool()> cancelled;                           // empty = never
  std::function<void(uint64_t done, uint64_t total)> progress;  // throttled to <= 20 calls/s; empty = none
  int threads = 1;                                           // OpenMP threads for this call
};

struct Stats {
  double prepareSeconds = 0;  // projection / storage conversion, and (c)'s tree build
  double selectSeconds = 0;   // the greedy iterations
  double radiusSeconds = 0;   // the exact radius pass
  double distances = 0;       // point-to-point distance evaluations during selection
  double nodeVisits = 0;      // (c): ball-tree nodes whose bound was tested
  double rangePoints = 0;     // (c): points inside the annuli whose single-point bound was tested
  size_t unlowered = 0;       // points whose radius needed the exact pass
  const char* kernels = "";   // the instruction set used
};

struct Result {
  std::vector<uint32_t> indices;  // selection order
  double radius = 0;
  Stats stats;
};

Result approximateGreedy(const Input& x, const GreedyParams& p, const Control& c);
Result prunedGreedy(const Input& x, const GreedyParams& p, const Control& c);
Result exactGreedy(const Input& x, const GreedyParams& p, const Control& c);

// The projection (a) and (c) apply, written to out (rows x dim float32); a plain float32 copy when dim == cols.
void randomProjection(const Input& x, size_t dim, uint64_t seed, float* out, const Control& c);

}  // namespace patchline::coreset
