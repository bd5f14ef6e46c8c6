// Per-environment state of the addon. The main thread and every worker thread that loads the addon are separate
// N-API environments; each gets its own AddonData as instance data (as better-sqlite3 keeps its constructors), so
// no JS object or reference ever crosses from one environment to another. Process-wide C++ state is limited to what
// is safe to share: the SIMD table choice (simd_dispatch.h) and the one Faiss interrupt callback (job.cc).
#pragma once

#include <napi.h>

namespace patchline {

struct AddonData {
  Napi::FunctionReference cancelToken;  // CancelToken class, for CancelToken::From's instanceof check
  Napi::FunctionReference faissIndex;   // NativeFaissIndex class, to wrap the indexes createIndex/readIndex make
};

inline AddonData& addonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace patchline
