// The addon's one AsyncWorker: every operation that can take more than a moment runs as a Job on a libuv worker
// thread behind a Promise. What a Job does for every family (index, coreset, epsilon-net):
//   - carries the JS thread's OpenMP thread count (setNumThreads) over to the worker thread (or the search lane);
//   - keeps the JS objects it borrows (input and output arrays, the cancel token, `this`) referenced until it settles;
//   - polls an optional CancelToken, which also answers Faiss's interrupt callback on the job's thread;
//   - delivers optional progress to a JS callback on the JS thread, always before the Promise settles;
//   - has one error path (errors.h): whatever run() throws becomes one Error with a message and a code, and any
//     abort becomes name 'AbortError', code 'ABORT_ERR'.
#pragma once

#include <napi.h>

#include <functional>
#include <vector>

#include "cancel_token.h"
#include "errors.h"

namespace patchline {

class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, const char* name);

  // Keeps v (if it is an object or function) alive until the job settles.
  void keep(const Napi::Value& v);
  // Uses v (a CancelToken, or undefined/null for none) as this job's token; throws a TypeError for anything else.
  void setToken(const Napi::Value& v);
  // Calls fn(done, total) on the JS thread for each reportProgress; undefined/null for none.
  void setProgress(const Napi::Value& fn);
  // Queues the job; the Job object is owned by N-API from here on and deleted after it settles.
  Napi::Promise start();

 protected:
  // On the worker thread. Throw to fail; poll cancelled() between chunks of long work.
  virtual void run() = 0;
  // Whether run() goes to the process's search lane (search_lane.h) instead of running on the libuv thread.
  virtual bool onSearchLane() const { return false; }
  // On the worker thread after run(), whether it succeeded or not. Must not throw.
  virtual void afterRun() noexcept {}
  // On the JS thread, before the Promise settles (both outcomes).
  virtual void settled(Napi::Env env) {}
  // On the JS thread: the value the Promise resolves to.
  virtual Napi::Value result(Napi::Env env) { return env.Undefined(); }

  bool cancelled() const { return token_ != nullptr && token_->cancelled(); }
  void throwIfCancelled() const {
    if (cancelled()) throw Cancelled();
  }
  // A poll function for N-API-free kernels (empty when the job has no token).
  std::function<bool()> cancelPoll() const;
  // From any thread: queues a progress call (dropped when no callback was given).
  void reportProgress(double done, double total);
  bool hasProgress() const { return progressOn_; }
  int threads() const { return threads_; }

 private:
  void Execute() final;
  void OnOK() final;
  void OnError(const Napi::Error& e) final;
  void OnWorkComplete(Napi::Env env, napi_status status) override;

  Napi::Promise::Deferred deferred_;
  std::vector<Napi::Reference<Napi::Value>> kept_;
  const CancelToken* token_ = nullptr;
  int threads_;
  Failure failure_;
  bool failed_ = false;
  Napi::ThreadSafeFunction progress_;
  bool progressOn_ = false;
  napi_status status_ = napi_ok;
};

// Installs the process's one Faiss interrupt callback (once, whatever the number of environments): it answers for
// the job running on the calling thread, so jobs on other threads and in other environments never see each other.
void installFaissInterrupt();

}  // namespace patchline
