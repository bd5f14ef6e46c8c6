// The addon's one runtime choice of SIMD kernels. Two families of tables exist per instruction set, the coreset
// sampler's (coreset_simd.h) and the index fast paths' (index_simd.h); one level, chosen here, selects both, so a
// process never runs the coreset on one instruction set and the index on another.
//
// The level is the best the CPU supports (runtime detection, never a compile-time -march), unless
// PATCHLINE_SIMD=scalar|avx2|avx512 asks for another, clamped to what the CPU supports (avx512 on an AVX2-only CPU
// gives avx2), or setActiveLevel forces one (tests and benchmarks compare every level the machine has). The choice
// is process-wide C++ state: it holds no JS object, and every table gives the same answers (bit-identical for the
// coreset, equal up to float rounding for index distances), so environments sharing it cannot observe each other.
//
// Include nothing from the C++ library here: the per-ISA translation units include this header (see index_simd.h).
#pragma once

// The x86 SIMD tables need GCC/Clang's target attributes and x86-64; elsewhere (MSVC, ARM) only the scalar ones exist.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PL_X86_SIMD 1
#else
#define PL_X86_SIMD 0
#endif

namespace patchline::simd {

enum class Level { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char* levelName(Level level);
// "scalar", "avx2", "avx512"; false for anything else.
bool parseLevel(const char* name, Level* level);
// The best level this CPU and this build support. AVX-512 means F + BW + VL + DQ (with AVX2, FMA, F16C);
// AVX2 means AVX2 + FMA + F16C.
Level detectLevel();
bool levelSupported(Level level);

// The level new work uses.
Level activeLevel();
// Forces a level, clamped to detectLevel(); returns the level now active.
Level setActiveLevel(Level requested);
// Back to the default: PATCHLINE_SIMD (clamped) or the detected level.
Level resetActiveLevel();

}  // namespace patchline::simd
