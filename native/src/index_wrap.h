// N-API wrapper of a Faiss index (owner: the index work). Exports the `FaissIndex` class.
#pragma once
#include <napi.h>

namespace patchline {
void InitIndex(Napi::Env env, Napi::Object exports);
}
