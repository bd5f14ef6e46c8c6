// N-API bindings of the coreset kernels. Each call returns a Promise; the work (including reading the caller's
// features) runs on a libuv worker thread, which fans out to OpenMP threads. The thin TypeScript layer
// (native/lib/coreset.ts) validates arguments; the checks here only keep a misuse of the raw binding from crashing.
#include "coreset_wrap.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#elif defined(__APPLE__)
#include <pthread.h>
#include <sys/qos.h>
#elif defined(_WIN32)
#include <windows.h>
#endif

#include "coreset.h"
#include "errors.h"
#include "job.h"

namespace patchline {

namespace {

using coreset::GreedyParams;
using coreset::Input;

enum class Method { Approximate, Pruned, Exact };

// How much the sampler's threads yield to the rest of the app: nice +5 by default, PATCHLINE_CORESET_NICE=0..19
// overrides (0 = same priority as the JS thread, e.g. for benchmarks on a shared machine).
int backgroundNice() {
  const char* env = std::getenv("PATCHLINE_CORESET_NICE");
  if (!env || !*env) return 5;
  const int v = std::atoi(env);
  return v < 0 ? 0 : v > 19 ? 19 : v;
}

void lowerThisThreadPriority(int nice) {
  if (nice <= 0) return;
#if defined(__linux__)
  // On Linux a nice value is per thread; OpenMP threads created by this one inherit it.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  setpriority(PRIO_PROCESS, tid, getpriority(PRIO_PROCESS, tid) + nice);
#elif defined(__APPLE__)
  pthread_set_qos_class_self_np(QOS_CLASS_UTILITY, 0);
#elif defined(_WIN32)
  SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_BELOW_NORMAL);
#endif
}

// Runs body on a fresh thread at background priority, so the JS thread (and the rest of the app) wins the CPU
// whenever it needs it, even with every core busy. A fresh thread rather than the libuv worker itself: priorities
// cannot be raised back without privileges, and libuv's pool also serves file I/O and the Faiss index. The OpenMP
// team this thread starts belongs to it and ends with it.
template <class F>
void runInBackgroundThread(F&& body) {
  std::exception_ptr error;
  const int nice = backgroundNice();
  std::thread worker([&] {
    lowerThisThreadPriority(nice);
    try {
      body();
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  if (error) std::rethrow_exception(error);
}

// Features from a Float32Array or a Uint16Array (binary16 bits); the array stays referenced by the worker.
Input readFeatures(const Napi::Value& v, const Napi::Value& rows, const Napi::Value& cols) {
  Napi::Env env = v.Env();
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "features must be a Float32Array or Uint16Array");
  auto ta = v.As<Napi::TypedArray>();
  Input in;
  if (ta.TypedArrayType() == napi_float32_array) {
    in.data = ta.As<Napi::Float32Array>().Data();
  } else if (ta.TypedArrayType() == napi_uint16_array) {
    in.data = ta.As<Napi::Uint16Array>().Data();
    in.float16 = true;
  } else {
    throw Napi::TypeError::New(env, "features must be a Float32Array or Uint16Array");
  }
  if (!rows.IsNumber() || !cols.IsNumber()) throw Napi::TypeError::New(env, "rows and cols must be numbers");
  const double r = rows.As<Napi::Number>().DoubleValue(), c = cols.As<Napi::Number>().DoubleValue();
  if (!(r >= 1 && c >= 1 && r <= 4294967295.0 && c <= 1048576.0) || r * c != static_cast<double>(ta.ElementLength())) {
    throw Napi::RangeError::New(env, "rows * cols must equal the features length");
  }
  in.rows = static_cast<size_t>(r);
  in.cols = static_cast<size_t>(c);
  return in;
}

double numberProp(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

size_t sizeProp(const Napi::Object& o, const char* key, double lo, double hi) {
  const double v = numberProp(o, key);
  if (!(v >= lo && v <= hi) || v != static_cast<double>(static_cast<size_t>(v))) {
    throw Napi::RangeError::New(o.Env(), std::string(key) + " is out of range");
  }
  return static_cast<size_t>(v);
}

class GreedyJob : public Job {
 public:
  GreedyJob(Napi::Env env, Method method, Input in, GreedyParams params)
      : Job(env, "patchline:coreset"), method_(method), in_(in), params_(params) {}

 protected:
  void run() override {
    coreset::Control c;
    c.threads = threads();
    c.cancelled = cancelPoll();
    if (hasProgress()) c.progress = [this](uint64_t done, uint64_t total) { reportProgress(done, total); };
    runInBackgroundThread([&] {
      switch (method_) {
        case Method::Approximate:
          result_ = coreset::approximateGreedy(in_, params_, c);
          break;
        case Method::Pruned:
          result_ = coreset::prunedGreedy(in_, params_, c);
          break;
        case Method::Exact:
          result_ = coreset::exactGreedy(in_, params_, c);
          break;
      }
    });
  }

  Napi::Value result(Napi::Env env) override {
    auto indices = Napi::Uint32Array::New(env, result_.indices.size());
    if (!result_.indices.empty()) {
      std::memcpy(indices.Data(), result_.indices.data(), result_.indices.size() * sizeof(uint32_t));
    }
    auto stats = Napi::Object::New(env);
    stats.Set("prepareSeconds", result_.stats.prepareSeconds);
    stats.Set("selectSeconds", result_.stats.selectSeconds);
    stats.Set("radiusSeconds", result_.stats.radiusSeconds);
    stats.Set("distances", result_.stats.distances);
    stats.Set("unlowered", static_cast<double>(result_.stats.unlowered));
    stats.Set("nodeVisits", result_.stats.nodeVisits);
    stats.Set("rangePoints", result_.stats.rangePoints);
    stats.Set("kernels", result_.stats.kernels);
    stats.Set("threads", threads());
    auto out = Napi::Object::New(env);
    out.Set("indices", indices);
    out.Set("radius", result_.radius);
    out.Set("stats", stats);
    return out;
  }

 private:
  Method method_;
  Input in_;
  GreedyParams params_;
  coreset::Result result_;
};

// coresetGreedy(method, features, rows, cols, params, token?, onProgress?)
//   method: 'approximate' | 'pruned' | 'exact'
//   params: { count, projectionDim, numStarts, seed, storage: 'float32' | 'float16', leafSize? }
Napi::Value CoresetGreedy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callGuarded(env, [&]() -> Napi::Value {
    if (info.Length() < 5 || !info[0].IsString() || !info[4].IsObject()) {
      throw Napi::TypeError::New(env, "coresetGreedy(method, features, rows, cols, params, token?, onProgress?)");
    }
    const std::string m = info[0].As<Napi::String>().Utf8Value();
    Method method;
    if (m == "approximate") method = Method::Approximate;
    else if (m == "pruned") method = Method::Pruned;
    else if (m == "exact") method = Method::Exact;
    else throw Napi::TypeError::New(env, "method must be 'approximate', 'pruned' or 'exact'");
    const Input in = readFeatures(info[1], info[2], info[3]);
    auto o = info[4].As<Napi::Object>();
    GreedyParams p;
    p.count = sizeProp(o, "count", 1, static_cast<double>(in.rows));
    p.projectionDim = sizeProp(o, "projectionDim", 1, 16384);
    p.numStarts = sizeProp(o, "numStarts", 1, 4294967295.0);
    const double seed = numberProp(o, "seed");
    if (!(seed >= 0 && seed <= 9007199254740991.0) || seed != static_cast<double>(static_cast<uint64_t>(seed))) {
      throw Napi::RangeError::New(env, "seed must be an integer in [0, 2^53)");
    }
    p.seed = static_cast<uint64_t>(seed);
    Napi::Value storage = o.Get("storage");
    if (!storage.IsString()) throw Napi::TypeError::New(env, "storage must be 'float32' or 'float16'");
    const std::string st = storage.As<Napi::String>().Utf8Value();
    if (st != "float32" && st != "float16") throw Napi::TypeError::New(env, "storage must be 'float32' or 'float16'");
    p.storage = st == "float16" ? coreset::Storage::Float16 : coreset::Storage::Float32;
    if (o.Has("leafSize") && !o.Get("leafSize").IsUndefined()) p.leafSize = sizeProp(o, "leafSize", 4, 65536);
    auto* job = new GreedyJob(env, method, in, p);
    job->keep(info[1]);
    job->setToken(info.Length() > 5 ? info[5] : env.Undefined());
    job->setProgress(info.Length() > 6 ? info[6] : env.Undefined());
    return job->start();
  });
}

class ProjectJob : public Job {
 public:
  ProjectJob(Napi::Env env, Input in, size_t dim, uint64_t seed)
      : Job(env, "patchline:randomProjection"), in_(in), dim_(dim), seed_(seed) {
    // Allocated here (lazily zeroed pages, no copy) and filled by the worker, so the JS thread never copies it.
    auto out = Napi::Float32Array::New(env, in.rows * dim);
    out_ = out.Data();
    outRef_ = Napi::Persistent(out.As<Napi::Object>());
  }

 protected:
  void run() override {
    coreset::Control c;
    c.threads = threads();
    runInBackgroundThread([&] { coreset::randomProjection(in_, dim_, seed_, out_, c); });
  }
  Napi::Value result(Napi::Env) override { return outRef_.Value(); }

 private:
  Input in_;
  size_t dim_;
  uint64_t seed_;
  float* out_ = nullptr;
  Napi::ObjectReference outRef_;
};

// coresetProject(features, rows, cols, dim, seed) -> Promise<Float32Array>
Napi::Value CoresetProject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callGuarded(env, [&]() -> Napi::Value {
    if (info.Length() < 5 || !info[3].IsNumber() || !info[4].IsNumber()) {
      throw Napi::TypeError::New(env, "coresetProject(features, rows, cols, dim, seed)");
    }
    const Input in = readFeatures(info[0], info[1], info[2]);
    const double dim = info[3].As<Napi::Number>().DoubleValue();
    const double seed = info[4].As<Napi::Number>().DoubleValue();
    if (!(dim >= 1 && dim <= 16384) || dim != static_cast<double>(static_cast<size_t>(dim))) {
      throw Napi::RangeError::New(env, "dim is out of range");
    }
    if (!(seed >= 0 && seed <= 9007199254740991.0) || seed != static_cast<double>(static_cast<uint64_t>(seed))) {
      throw Napi::RangeError::New(env, "seed must be an integer in [0, 2^53)");
    }
    auto* job = new ProjectJob(env, in, static_cast<size_t>(dim), static_cast<uint64_t>(seed));
    job->keep(info[0]);
    return job->start();
  });
}

}  // namespace

void InitCoreset(Napi::Env env, Napi::Object exports) {
  exports.Set("coresetGreedy", Napi::Function::New(env, CoresetGreedy));
  exports.Set("coresetProject", Napi::Function::New(env, CoresetProject));
}

}  // namespace patchline
