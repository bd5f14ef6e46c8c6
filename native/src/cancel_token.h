// A flag that JS sets (from an AbortSignal) and a worker thread polls between chunks of work.
#pragma once

#include <napi.h>

#include <atomic>
#include <stdexcept>

namespace patchline {

struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled") {}
};

class CancelToken : public Napi::ObjectWrap<CancelToken> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit CancelToken(const Napi::CallbackInfo& info);

  bool cancelled() const { return flag_.load(std::memory_order_relaxed); }
  void throwIfCancelled() const {
    if (cancelled()) throw Cancelled();
  }

  // Returns nullptr when the argument is undefined/null, so cancellation stays optional.
  static CancelToken* From(const Napi::Value& v);

 private:
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value IsCancelled(const Napi::CallbackInfo& info);
  std::atomic<bool> flag_{false};
  static Napi::FunctionReference* ctor_;
};

}  // namespace patchline
