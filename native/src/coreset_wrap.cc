#include "coreset_wrap.h"

namespace patchline {

void InitCoreset(Napi::Env env, Napi::Object exports) {}

}  // namespace patchline
