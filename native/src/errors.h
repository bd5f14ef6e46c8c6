// The one place where C++ failures become JS Errors. Every synchronous entry point runs its body through
// callGuarded, and every asynchronous one is a Job (job.h), whose Execute catches everything: node-addon-api only
// converts Napi::Error itself, and any other exception escaping into V8 would abort the whole process. Both classify
// the exception with currentFailure and build the Error with toJsError, so a failure reads the same either way:
// message, `code` (native_error.h), and for an abort name 'AbortError' with code 'ABORT_ERR'.
#pragma once

#include <napi.h>

#include <string>

#include "native_error.h"

namespace patchline {

struct Failure {
  std::string message;  // never empty
  const char* code = code::kNative;
  bool aborted() const;
};

// Classifies the exception being handled; call it only inside a catch block. With `cancelled` (the operation's
// token fired), any exception counts as the abort: Faiss reports its interrupt as an ordinary error.
Failure currentFailure(bool cancelled);

Napi::Error toJsError(Napi::Env env, const Failure& failure);

template <class F>
auto callGuarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw toJsError(env, currentFailure(false));
  }
}

}  // namespace patchline
