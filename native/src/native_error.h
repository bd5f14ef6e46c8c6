// The N-API-free half of the addon's error path (errors.h is the other): the error types that C++ code throws and
// the codes that reach JS, usable from code that must not depend on Node (the index internals, the coreset and
// epsilon-net kernels, standalone tools). native/INDEX.md ("Errors") lists the codes for JS callers.
#pragma once

#include <faiss/impl/FaissException.h>

#include <stdexcept>
#include <string>

namespace patchline {

// The `code` of the JS Error each failure becomes.
namespace code {
constexpr const char* kAborted = "ABORT_ERR";                      // an AbortSignal fired (name 'AbortError')
constexpr const char* kInput = "ERR_PATCHLINE_INPUT";              // the data cannot be used (NaN, sizes)
constexpr const char* kState = "ERR_PATCHLINE_STATE";              // not now: untrained, read-only, closed, ...
constexpr const char* kIo = "ERR_PATCHLINE_IO";                    // an index file cannot be read or written
constexpr const char* kFaiss = "ERR_PATCHLINE_FAISS";              // Faiss refused or failed
constexpr const char* kOutOfMemory = "ERR_PATCHLINE_OUT_OF_MEMORY";
constexpr const char* kNative = "ERR_PATCHLINE_NATIVE";            // any other C++ failure
}  // namespace code

// Thrown by our own checks; the message is meant for the user as is.
struct UserError : std::runtime_error {
  explicit UserError(const std::string& message, const char* errorCode = code::kInput)
      : std::runtime_error(message), errorCode(errorCode) {}
  const char* errorCode;
};

// The operation is not possible in the object's current state.
struct StateError : UserError {
  explicit StateError(const std::string& message) : UserError(message, code::kState) {}
};

struct IoError : UserError {
  explicit IoError(const std::string& message) : UserError(message, code::kIo) {}
};

// Thrown out of long work when its cancel token (or Control::cancelled) turns true.
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("The operation was aborted") {}
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

}  // namespace patchline
