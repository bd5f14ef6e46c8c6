// The one place where C++ failures become JS Errors. Every entry point of the addon runs its body through
// callGuarded (synchronous) or lets AsyncWorker::Execute throw (asynchronous): node-addon-api only converts
// Napi::Error itself, and any other exception escaping into V8 would abort the whole process.
#pragma once

#include <faiss/impl/FaissException.h>
#include <napi.h>

#include "faiss_message.h"

#include <new>
#include <stdexcept>
#include <string>

namespace patchline {

template <class F>
auto callGuarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const faiss::FaissException& e) {
    throw Napi::Error::New(env, describe(e));
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

// For AsyncWorker::Execute: rethrows as a std::exception whose what() is the user-facing message.
template <class F>
void runGuarded(F&& body) {
  try {
    body();
  } catch (const faiss::FaissException& e) {
    throw std::runtime_error(describe(e));
  } catch (const std::bad_alloc&) {
    throw std::runtime_error("out of memory");
  }
}

// The Error an AsyncWorker rejects with: an aborted operation is named AbortError (code ABORT_ERR) like the DOM's.
inline Napi::Error workerError(Napi::Env env, const std::string& message, bool aborted) {
  Napi::Error err = Napi::Error::New(env, message);
  if (aborted) {
    err.Set("name", Napi::String::New(env, "AbortError"));
    err.Set("code", Napi::String::New(env, "ABORT_ERR"));
  }
  return err;
}

}  // namespace patchline
