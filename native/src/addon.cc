// Module entry: one addon, two families of exports (the Faiss index and the coreset kernels).
#include <napi.h>
#include <omp.h>

#include "cancel_token.h"
#include "coreset_wrap.h"
#include "epsilon_net_wrap.h"
#include "index_wrap.h"

namespace {

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "threads must be a number");
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "threads must be >= 1");
  omp_set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("CancelToken", patchline::CancelToken::Init(env));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  patchline::InitIndex(env, exports);
  patchline::InitCoreset(env, exports);
  patchline::InitEpsilonNet(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(patchline_native, Init)
