// A flag that JS sets (from an AbortSignal) and a worker thread polls between chunks of work.
#pragma once

#include <napi.h>

#include <atomic>

#include "native_error.h"

namespace patchline {

class CancelToken : public Napi::ObjectWrap<CancelToken> {
 public:
  // Defines the class in this environment (kept in its AddonData).
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
};

}  // namespace patchline
