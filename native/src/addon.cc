// Module entry: one addon, three families of exports (the Faiss index, the coreset kernels, the epsilon-net), plus
// the thread count and the SIMD level they share. Context-aware: Init runs once per environment (the main thread
// and each worker thread that loads the addon) and keeps that environment's classes in its own AddonData.
#include <napi.h>
#include <omp.h>

#include <string>

#include "addon_data.h"
#include "cancel_token.h"
#include "coreset_wrap.h"
#include "epsilon_net_wrap.h"
#include "errors.h"
#include "index_wrap.h"
#include "simd_dispatch.h"

namespace {

// Per JS thread (OpenMP keeps the value per calling thread): each environment sets its own jobs' thread count.
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

// simdKernels(level?) -> { active, detected, available }: the level the coreset and the index kernels use. A level
// ('scalar' | 'avx2' | 'avx512', clamped to the CPU's) forces it process-wide; 'auto' goes back to the default.
Napi::Value SimdKernels(const Napi::CallbackInfo& info) {
  namespace simd = patchline::simd;
  Napi::Env env = info.Env();
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "level must be a string");
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    simd::Level level;
    if (name == "auto") {
      simd::resetActiveLevel();
    } else if (simd::parseLevel(name.c_str(), &level)) {
      simd::setActiveLevel(level);
    } else {
      throw patchline::toJsError(env, {"level must be 'scalar', 'avx2', 'avx512' or 'auto', got '" + name + "'",
                                       patchline::code::kInput});
    }
  }
  Napi::Array available = Napi::Array::New(env);
  uint32_t i = 0;
  for (simd::Level level : {simd::Level::Avx512, simd::Level::Avx2, simd::Level::Scalar}) {
    if (simd::levelSupported(level)) available.Set(i++, simd::levelName(level));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("active", simd::levelName(simd::activeLevel()));
  out.Set("detected", simd::levelName(simd::detectLevel()));
  out.Set("available", available);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new patchline::AddonData());
  exports.Set("CancelToken", patchline::CancelToken::Init(env));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("simdKernels", Napi::Function::New(env, SimdKernels));
  patchline::InitIndex(env, exports);
  patchline::InitCoreset(env, exports);
  patchline::InitEpsilonNet(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(patchline_native, Init)
