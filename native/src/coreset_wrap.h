// N-API bindings of the coreset kernels (owner: the coreset work).
#pragma once
#include <napi.h>

namespace patchline {
void InitCoreset(Napi::Env env, Napi::Object exports);
}
