#include "index_wrap.h"

#include <faiss/index_factory.h>

#include "errors.h"

namespace patchline {

// Placeholder until the index wrapper lands: proves the addon links against the system Faiss.
void InitIndex(Napi::Env env, Napi::Object exports) {
  exports.Set("faissLinked", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return callGuarded(info.Env(), [&] {
      std::unique_ptr<faiss::Index> idx(faiss::index_factory(4, "Flat"));
      return Napi::Number::New(info.Env(), idx->d);
    });
  }));
}

}  // namespace patchline
