// N-API face of the epsilon-net: one ObjectWrap per net; every call that touches vectors runs on a libuv worker
// thread behind a Promise and holds the net's mutex, so misordered raw calls stay memory safe (the TS layer,
// native/lib/epsilon-net.ts, also runs them one at a time). Each result carries the net's size and radius, so JS
// never reads the net while a worker mutates it.
#include "epsilon_net_wrap.h"

#include <omp.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cancel_token.h"
#include "coreset.h"
#include "epsilon_net.h"
#include "errors.h"

namespace patchline {

namespace {

struct NetState {
  std::mutex mu;
  std::unique_ptr<epsnet::Net> net;
};

// The caller's float32 rows: n x dim. The array stays referenced by the worker until it settles.
const float* readRows(const Napi::Value& v, size_t dim, size_t* rows, const char* what) {
  Napi::Env env = v.Env();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, std::string(what) + " must be a Float32Array");
  }
  auto a = v.As<Napi::Float32Array>();
  if (a.ElementLength() % dim != 0) {
    throw Napi::RangeError::New(env, std::string(what) + " length " + std::to_string(a.ElementLength()) +
                                         " is not a multiple of the dimension " + std::to_string(dim));
  }
  *rows = a.ElementLength() / dim;
  return a.Data();
}

// NaN or infinite input would silently break the coarse assignment; checked on the worker thread.
void checkFinite(const float* x, size_t rows, size_t dim, const char* what) {
  for (size_t i = 0; i < rows * dim; i++) {
    if (!std::isfinite(x[i])) {
      throw std::invalid_argument(std::string(what) + " contain a non-finite value at row " + std::to_string(i / dim) +
                                  ", column " + std::to_string(i % dim));
    }
  }
}

class NetWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void(epsnet::Net&)>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  NetWorker(Napi::Env env, std::shared_ptr<NetState> state, Work work, Done done, CancelToken* token)
      : Napi::AsyncWorker(env, "patchline:epsilon-net"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        work_(std::move(work)),
        done_(std::move(done)),
        token_(token),
        threads_(omp_get_max_threads()) {}

  void keep(const Napi::Value& v) {
    if (v.IsObject()) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    omp_set_num_threads(threads_);
    try {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (!state_->net) throw std::runtime_error("this EpsilonNet is closed");
      runGuarded([&] { work_(*state_->net); });
      if (state_->net) {  // close() resets it
        size_ = static_cast<double>(state_->net->size());
        radius_ = state_->net->radius();
      }
    } catch (const coreset::Cancelled& e) {
      aborted_ = true;
      SetError(e.what());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("value", done_ ? done_(env) : env.Undefined());
    out.Set("size", size_);
    out.Set("radius", radius_);
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override {
    deferred_.Reject(workerError(Env(), e.Message(), aborted_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<NetState> state_;
  Work work_;
  Done done_;
  CancelToken* token_;
  int threads_;
  std::vector<Napi::ObjectReference> refs_;
  double size_ = 0;
  double radius_ = 0;
  bool aborted_ = false;
};

Napi::Value f32Array(Napi::Env env, const std::vector<float>& v) {
  auto a = Napi::Float32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(float));
  return a;
}

Napi::Value u32Array(Napi::Env env, const std::vector<uint32_t>& v) {
  auto a = Napi::Uint32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(uint32_t));
  return a;
}

size_t sizeArg(const Napi::CallbackInfo& info, size_t i, double lo, double hi, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= lo && v <= hi) || v != std::floor(v)) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer in [" + std::to_string(static_cast<uint64_t>(lo)) +
                                                ", " + std::to_string(static_cast<uint64_t>(hi)) + "]");
  }
  return static_cast<size_t>(v);
}

float radiusArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "radius must be a number");
  const double r = info[i].As<Napi::Number>().DoubleValue();
  if (!(r >= 0) || !std::isfinite(r)) throw Napi::RangeError::New(info.Env(), "radius must be a finite number >= 0");
  return static_cast<float>(r);
}

class NativeEpsilonNet : public Napi::ObjectWrap<NativeEpsilonNet> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "EpsilonNet",
                       {InstanceMethod("train", &NativeEpsilonNet::Train),
                        InstanceMethod("setCentroids", &NativeEpsilonNet::SetCentroids),
                        InstanceMethod("add", &NativeEpsilonNet::Add),
                        InstanceMethod("append", &NativeEpsilonNet::Append),
                        InstanceMethod("rethin", &NativeEpsilonNet::Rethin),
                        InstanceMethod("exportVectors", &NativeEpsilonNet::Export),
                        InstanceMethod("centroids", &NativeEpsilonNet::Centroids),
                        InstanceMethod("nearest", &NativeEpsilonNet::Nearest),
                        InstanceMethod("setRadius", &NativeEpsilonNet::SetRadius),
                        InstanceMethod("close", &NativeEpsilonNet::Close)});
  }

  // new EpsilonNet(dim, nlist, nprobe, radius)
  explicit NativeEpsilonNet(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEpsilonNet>(info) {
    callGuarded(info.Env(), [&] {
      dim_ = sizeArg(info, 0, 1, 65536, "dim");
      const size_t nlist = sizeArg(info, 1, 1, 1 << 20, "nlist");
      const size_t nprobe = sizeArg(info, 2, 1, 1 << 20, "nprobe");
      state_ = std::make_shared<NetState>();
      state_->net = std::make_unique<epsnet::Net>(dim_, nlist, nprobe, radiusArg(info, 3));
      return 0;
    });
  }

 private:
  template <class Setup>
  Napi::Value queue(const Napi::CallbackInfo& info, Setup setup) {
    Napi::Env env = info.Env();
    return callGuarded(env, [&]() -> Napi::Value {
      NetWorker* w = setup();
      Napi::Promise p = w->promise();
      w->Queue();
      return p;
    });
  }

  // train(sample, seed, token?)
  Napi::Value Train(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "sample");
      const uint64_t seed = sizeArg(info, 1, 0, 2147483647.0, "seed");
      CancelToken* token = info.Length() > 2 ? CancelToken::From(info[2]) : nullptr;
      const size_t d = dim_;
      auto* w = new NetWorker(info.Env(), state_, [=](epsnet::Net& net) {
        checkFinite(x, rows, d, "sample vectors");
        net.train(x, rows, seed, [token] { return token && token->cancelled(); });
      }, nullptr, token);
      w->keep(info[0]);
      if (token) w->keep(info[2]);
      return w;
    });
  }

  // setCentroids(centroids): restores a saved coarse quantizer (nlist = rows).
  Napi::Value SetCentroids(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "centroids");
      if (rows == 0) throw Napi::RangeError::New(info.Env(), "centroids must hold at least one row");
      const size_t d = dim_;
      auto* w = new NetWorker(info.Env(), state_, [=](epsnet::Net& net) {
        checkFinite(x, rows, d, "centroids");
        net.setCentroids(x, rows);
      }, nullptr, nullptr);
      w->keep(info[0]);
      return w;
    });
  }

  // add(batch) -> { value: { added: Uint32Array, uncovered, scanned, skipped }, size, radius }
  Napi::Value Add(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "batch");
      auto result = std::make_shared<std::pair<std::vector<uint32_t>, epsnet::AddStats>>();
      const size_t d = dim_;
      auto* w = new NetWorker(info.Env(), state_, [=](epsnet::Net& net) {
        checkFinite(x, rows, d, "batch vectors");
        result->first = net.add(x, rows, &result->second);
      }, [result](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("added", u32Array(env, result->first));
        o.Set("uncovered", static_cast<double>(result->second.uncoveredAfterLookup));
        o.Set("scanned", static_cast<double>(result->second.vectorsScanned));
        o.Set("skipped", static_cast<double>(result->second.listsSkipped));
        return o;
      }, nullptr);
      w->keep(info[0]);
      return w;
    });
  }

  // append(vectors): unconditionally (restoring a saved bank).
  Napi::Value Append(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "vectors");
      const size_t d = dim_;
      auto* w = new NetWorker(info.Env(), state_, [=](epsnet::Net& net) {
        checkFinite(x, rows, d, "bank vectors");
        net.append(x, rows);
      }, nullptr, nullptr);
      w->keep(info[0]);
      return w;
    });
  }

  // rethin(target, growth, token?) -> { value: Uint32Array kept old ids, size, radius }
  Napi::Value Rethin(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      const size_t target = sizeArg(info, 0, 1, 4294967295.0, "target");
      if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "growth must be a number");
      const double growth = info[1].As<Napi::Number>().DoubleValue();
      CancelToken* token = info.Length() > 2 ? CancelToken::From(info[2]) : nullptr;
      auto kept = std::make_shared<std::vector<uint32_t>>();
      auto* w = new NetWorker(info.Env(), state_, [=](epsnet::Net& net) {
        *kept = net.rethin(target, growth, [token] { return token && token->cancelled(); });
      }, [kept](Napi::Env env) { return u32Array(env, *kept); }, token);
      if (token) w->keep(info[2]);
      return w;
    });
  }

  // exportVectors() -> { value: Float32Array size x dim in id order }
  Napi::Value Export(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      auto out = std::make_shared<std::vector<float>>();
      auto* w = new NetWorker(info.Env(), state_, [=](epsnet::Net& net) {
        out->resize(net.size() * net.dim());
        net.exportVectors(out->data());
      }, [out](Napi::Env env) { return f32Array(env, *out); }, nullptr);
      return w;
    });
  }

  // centroids() -> { value: Float32Array nlist x dim }
  Napi::Value Centroids(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      auto out = std::make_shared<std::vector<float>>();
      auto* w = new NetWorker(info.Env(), state_, [=](epsnet::Net& net) { *out = net.centroids(); },
                              [out](Napi::Env env) { return f32Array(env, *out); }, nullptr);
      return w;
    });
  }

  // nearest(queries) -> { value: Float32Array distances to the nearest bank vector in the probed lists }
  Napi::Value Nearest(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "queries");
      auto out = std::make_shared<std::vector<float>>(rows);
      const size_t d = dim_;
      auto* w = new NetWorker(info.Env(), state_, [=](epsnet::Net& net) {
        checkFinite(x, rows, d, "query vectors");
        net.nearestProbed(x, rows, out->data());
      }, [out](Napi::Env env) { return f32Array(env, *out); }, nullptr);
      w->keep(info[0]);
      return w;
    });
  }

  // setRadius(r): queued like the rest, so it never races a running add.
  Napi::Value SetRadius(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      const float r = radiusArg(info, 0);
      return new NetWorker(info.Env(), state_, [=](epsnet::Net& net) { net.setRadius(r); }, nullptr, nullptr);
    });
  }

  // close(): frees the bank after any running operation (it holds the mutex).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      auto state = state_;
      return new NetWorker(info.Env(), state_, [state](epsnet::Net&) { state->net.reset(); }, nullptr, nullptr);
    });
  }

  size_t dim_ = 0;
  std::shared_ptr<NetState> state_;
};

}  // namespace

void InitEpsilonNet(Napi::Env env, Napi::Object exports) {
  exports.Set("EpsilonNet", NativeEpsilonNet::Init(env));
}

}  // namespace patchline
