#include "errors.h"

#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>

namespace patchline {

bool Failure::aborted() const { return std::strcmp(code, code::kAborted) == 0; }

Failure currentFailure(bool cancelled) {
  const Failure abort{"The operation was aborted", code::kAborted};
  try {
    throw;
  } catch (const Cancelled&) {
    return abort;
  } catch (...) {
    if (cancelled) return abort;
  }
  auto nonEmpty = [](const char* what, const char* fallback) {
    return what != nullptr && *what != '\0' ? std::string(what) : std::string(fallback);
  };
  try {
    throw;
  } catch (const UserError& e) {
    return {nonEmpty(e.what(), "invalid input"), e.errorCode};
  } catch (const faiss::FaissException& e) {
    return {describe(e), code::kFaiss};
  } catch (const std::bad_alloc&) {
    return {"out of memory", code::kOutOfMemory};
  } catch (const std::invalid_argument& e) {
    return {nonEmpty(e.what(), "invalid argument"), code::kInput};
  } catch (const std::exception& e) {
    return {nonEmpty(e.what(), "native error"), code::kNative};
  } catch (...) {
    return {"unknown native error", code::kNative};
  }
}

Napi::Error toJsError(Napi::Env env, const Failure& failure) {
  Napi::Error err = Napi::Error::New(env, failure.message);
  if (failure.aborted()) err.Set("name", Napi::String::New(env, "AbortError"));
  err.Set("code", Napi::String::New(env, failure.code));
  return err;
}

}  // namespace patchline
