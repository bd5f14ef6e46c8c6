// PATCHLINE_IVF_PROFILE=1: the search paths print where their time goes (stderr), for tuning (docs/environment.md).
#pragma once

#include <chrono>
#include <cstdlib>

namespace patchline {

inline bool ivfProfiling() {
  static const bool on = std::getenv("PATCHLINE_IVF_PROFILE") != nullptr;
  return on;
}

inline double nowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace patchline
