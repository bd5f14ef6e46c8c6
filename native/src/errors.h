// The one place where C++ failures become JS Errors. Every entry point of the addon runs its body through
// callGuarded (synchronous) or lets AsyncWorker::Execute throw (asynchronous): node-addon-api only converts
// Napi::Error itself, and any other exception escaping into V8 would abort the whole process.
#pragma once

#include <faiss/impl/FaissException.h>
#include <napi.h>

#include <new>
#include <stdexcept>
#include <string>

namespace patchline {

// Thrown by our own validation; the message is meant for the user as is.
struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Faiss prefixes its messages with the source file and function; keep only the sentence a user can act on.
inline std::string describe(const faiss::FaissException& e) {
  std::string msg = e.msg.empty() ? std::string(e.what()) : e.msg;
  // FaissException builds "Error in <function> at <file>:<line>: <message>".
  if (msg.rfind("Error in ", 0) == 0) {
    size_t at = msg.find(" at ");
    size_t colon = at == std::string::npos ? std::string::npos : msg.find(": ", at);
    if (colon != std::string::npos) msg = msg.substr(colon + 2);
  }
  // FAISS_THROW_IF_NOT_MSG adds "Error: '<condition>' failed: " before its explanation.
  if (msg.rfind("Error: '", 0) == 0) {
    size_t failed = msg.find("' failed: ");
    if (failed != std::string::npos) msg = msg.substr(failed + 10);
  }
  return "Faiss: " + msg;
}

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

}  // namespace patchline
