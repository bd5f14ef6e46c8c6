// The N-API-free half of errors.h: the user-facing error type and Faiss message cleanup, usable from code that
// must not depend on Node (the index internals, standalone tools).
#pragma once

#include <faiss/impl/FaissException.h>

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

}  // namespace patchline
