#include "cancel_token.h"

#include "addon_data.h"

namespace patchline {

Napi::Function CancelToken::Init(Napi::Env env) {
  Napi::Function fn = DefineClass(env, "CancelToken",
                                  {InstanceMethod("cancel", &CancelToken::Cancel),
                                   InstanceMethod("isCancelled", &CancelToken::IsCancelled)});
  addonData(env).cancelToken = Napi::Persistent(fn);
  return fn;
}

CancelToken::CancelToken(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CancelToken>(info) {}

Napi::Value CancelToken::Cancel(const Napi::CallbackInfo& info) {
  flag_.store(true, std::memory_order_relaxed);
  return info.Env().Undefined();
}

Napi::Value CancelToken::IsCancelled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), cancelled());
}

CancelToken* CancelToken::From(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(addonData(v.Env()).cancelToken.Value())) {
    throw Napi::TypeError::New(v.Env(), "cancel token must be a CancelToken");
  }
  return Napi::ObjectWrap<CancelToken>::Unwrap(v.As<Napi::Object>());
}

}  // namespace patchline
