#include "job.h"

#include <faiss/impl/AuxIndexStructures.h>
#include <omp.h>

#include <mutex>
#include <utility>

#include "search_lane.h"

namespace patchline {

namespace {

// The job running on this thread. Faiss polls InterruptCallback from the thread that started a long computation
// (k-means iterations, HNSW construction), i.e. the job's own worker thread.
thread_local const std::function<bool()>* tlCancelled = nullptr;

struct JobInterrupt : faiss::InterruptCallback {
  bool want_interrupt() override { return tlCancelled != nullptr && (*tlCancelled)(); }
};

struct CurrentJob {
  explicit CurrentJob(const std::function<bool()>* poll) { tlCancelled = poll; }
  ~CurrentJob() { tlCancelled = nullptr; }
};

using Progress = std::pair<double, double>;

}  // namespace

void installFaissInterrupt() {
  // Faiss reads InterruptCallback::instance without a lock: it is set once here and never replaced or freed while
  // any environment runs.
  static std::once_flag once;
  std::call_once(once, [] { faiss::InterruptCallback::instance.reset(new JobInterrupt()); });
}

Job::Job(Napi::Env env, const char* name)
    : Napi::AsyncWorker(env, name),
      deferred_(Napi::Promise::Deferred::New(env)),
      // omp_set_num_threads only sets the calling thread's value: carry the JS thread's setting over.
      threads_(omp_get_max_threads()) {}

void Job::keep(const Napi::Value& v) {
  if (v.IsObject() || v.IsFunction()) kept_.push_back(Napi::Persistent(v));
}

void Job::setToken(const Napi::Value& v) {
  token_ = CancelToken::From(v);
  if (token_ != nullptr) keep(v);
}

void Job::setProgress(const Napi::Value& fn) {
  if (fn.IsUndefined() || fn.IsNull()) return;
  if (!fn.IsFunction()) throw Napi::TypeError::New(Env(), "onProgress must be a function");
  // The thread-safe function's finalizer completes the job (OnWorkComplete below), so every queued progress call
  // reaches JS before the Promise settles.
  progress_ = Napi::ThreadSafeFunction::New(Env(), fn.As<Napi::Function>(), "patchline:progress", 0, 1, this,
                                            [](Napi::Env env, Job* self) {
                                              self->Napi::AsyncWorker::OnWorkComplete(env, self->status_);
                                            });
  progressOn_ = true;
}

Napi::Promise Job::start() {
  Napi::Promise p = deferred_.Promise();
  Queue();
  return p;
}

std::function<bool()> Job::cancelPoll() const {
  return [this] { return cancelled(); };
}

void Job::reportProgress(double done, double total) {
  if (!progressOn_) return;
  progress_.NonBlockingCall(new Progress(done, total), [](Napi::Env env, Napi::Function fn, Progress* p) {
    const Progress v = *p;
    delete p;
    if (env == nullptr || fn.IsEmpty()) return;
    try {
      fn.Call({Napi::Number::New(env, v.first), Napi::Number::New(env, v.second)});
    } catch (const Napi::Error&) {
      // The TS layer's callback wrapper never throws; a raw caller's exception is dropped, not fatal.
    }
  });
}

void Job::Execute() {
  const std::function<bool()> poll = cancelPoll();
  const std::function<void()> body = [this, &poll] {
    omp_set_num_threads(threads_);
    CurrentJob current(&poll);
    throwIfCancelled();
    run();
  };
  try {
    if (onSearchLane()) {
      runOnSearchLane(body);
    } else {
      body();
    }
  } catch (...) {
    failure_ = currentFailure(cancelled());
    failed_ = true;
  }
  afterRun();
  if (failed_) SetError(failure_.message);
}

void Job::OnOK() {
  Napi::Env env = Env();
  settled(env);
  Napi::Value value;
  try {
    value = result(env);
  } catch (...) {
    // Building the result failed on the JS thread (out of memory for the output arrays).
    deferred_.Reject(toJsError(env, currentFailure(false)).Value());
    return;
  }
  deferred_.Resolve(value);
}

void Job::OnError(const Napi::Error&) {
  Napi::Env env = Env();
  settled(env);
  deferred_.Reject(toJsError(env, failure_).Value());
}

void Job::OnWorkComplete(Napi::Env env, napi_status status) {
  if (!progressOn_) {
    Napi::AsyncWorker::OnWorkComplete(env, status);
    return;
  }
  // Continued by the thread-safe function's finalizer, after the last progress call.
  status_ = status;
  progress_.Release();
}

}  // namespace patchline
