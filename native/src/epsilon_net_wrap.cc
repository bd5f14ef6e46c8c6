// N-API face of the epsilon-net: one ObjectWrap per net; every call that touches vectors runs on a libuv worker
// thread behind a Promise and holds the net's mutex, so misordered raw calls stay memory safe (the TS layer,
// native/lib/epsilon-net.ts, also runs them one at a time). Each result carries the net's size and radius, so JS
// never reads the net while a worker mutates it.
#include "epsilon_net_wrap.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "epsilon_net.h"
#include "errors.h"
#include "finite_check.h"
#include "job.h"

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

// One call on the net: runs under the net's mutex, and resolves to { value, size, radius } so JS never reads the net
// while a job mutates it.
class NetJob : public Job {
 public:
  using Work = std::function<void(epsnet::Net&, const std::function<bool()>& cancelled)>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  NetJob(Napi::Env env, std::shared_ptr<NetState> state, Work work, Done done)
      : Job(env, "patchline:epsilon-net"), state_(std::move(state)), work_(std::move(work)), done_(std::move(done)) {}

 protected:
  void run() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->net) throw StateError("this EpsilonNet is closed");
    work_(*state_->net, cancelPoll());
    if (state_->net) {  // close() resets it
      size_ = static_cast<double>(state_->net->size());
      radius_ = state_->net->radius();
    }
  }

  Napi::Value result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("value", done_ ? done_(env) : env.Undefined());
    out.Set("size", size_);
    out.Set("radius", radius_);
    return out;
  }

 private:
  std::shared_ptr<NetState> state_;
  Work work_;
  Done done_;
  double size_ = 0;
  double radius_ = 0;
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
    return callGuarded(info.Env(), [&]() -> Napi::Value { return setup()->start(); });
  }

  NetJob* job(const Napi::CallbackInfo& info, NetJob::Work work, NetJob::Done done = nullptr) {
    auto* j = new NetJob(info.Env(), state_, std::move(work), std::move(done));
    j->keep(info.This());
    return j;
  }

  // train(sample, seed, token?)
  Napi::Value Train(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "sample");
      const uint64_t seed = sizeArg(info, 1, 0, 2147483647.0, "seed");
      const size_t d = dim_;
      NetJob* j = job(info, [=](epsnet::Net& net, const std::function<bool()>& cancelled) {
        checkFinite(x, rows, d, "sample vectors");
        net.train(x, rows, seed, cancelled);
      });
      j->keep(info[0]);
      j->setToken(info.Length() > 2 ? info[2] : info.Env().Undefined());
      return j;
    });
  }

  // setCentroids(centroids): restores a saved coarse quantizer (nlist = rows).
  Napi::Value SetCentroids(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "centroids");
      if (rows == 0) throw Napi::RangeError::New(info.Env(), "centroids must hold at least one row");
      const size_t d = dim_;
      NetJob* j = job(info, [=](epsnet::Net& net, const std::function<bool()>&) {
        checkFinite(x, rows, d, "centroids");
        net.setCentroids(x, rows);
      });
      j->keep(info[0]);
      return j;
    });
  }

  // add(batch) -> { value: { added: Uint32Array, uncovered, scanned, skipped }, size, radius }
  Napi::Value Add(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "batch");
      auto result = std::make_shared<std::pair<std::vector<uint32_t>, epsnet::AddStats>>();
      const size_t d = dim_;
      NetJob* j = job(
          info,
          [=](epsnet::Net& net, const std::function<bool()>&) {
            checkFinite(x, rows, d, "batch vectors");
            result->first = net.add(x, rows, &result->second);
          },
          [result](Napi::Env env) -> Napi::Value {
            Napi::Object o = Napi::Object::New(env);
            o.Set("added", u32Array(env, result->first));
            o.Set("uncovered", static_cast<double>(result->second.uncoveredAfterLookup));
            o.Set("scanned", static_cast<double>(result->second.vectorsScanned));
            o.Set("skipped", static_cast<double>(result->second.listsSkipped));
            return o;
          });
      j->keep(info[0]);
      return j;
    });
  }

  // append(vectors): unconditionally (restoring a saved bank).
  Napi::Value Append(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "vectors");
      const size_t d = dim_;
      NetJob* j = job(info, [=](epsnet::Net& net, const std::function<bool()>&) {
        checkFinite(x, rows, d, "bank vectors");
        net.append(x, rows);
      });
      j->keep(info[0]);
      return j;
    });
  }

  // rethin(target, growth, token?) -> { value: Uint32Array kept old ids, size, radius }
  Napi::Value Rethin(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      const size_t target = sizeArg(info, 0, 1, 4294967295.0, "target");
      if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "growth must be a number");
      const double growth = info[1].As<Napi::Number>().DoubleValue();
      auto kept = std::make_shared<std::vector<uint32_t>>();
      NetJob* j = job(
          info,
          [=](epsnet::Net& net, const std::function<bool()>& cancelled) { *kept = net.rethin(target, growth, cancelled); },
          [kept](Napi::Env env) { return u32Array(env, *kept); });
      j->setToken(info.Length() > 2 ? info[2] : info.Env().Undefined());
      return j;
    });
  }

  // exportVectors() -> { value: Float32Array size x dim in id order }
  Napi::Value Export(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      auto out = std::make_shared<std::vector<float>>();
      return job(
          info,
          [=](epsnet::Net& net, const std::function<bool()>&) {
            out->resize(net.size() * net.dim());
            net.exportVectors(out->data());
          },
          [out](Napi::Env env) { return f32Array(env, *out); });
    });
  }

  // centroids() -> { value: Float32Array nlist x dim }
  Napi::Value Centroids(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      auto out = std::make_shared<std::vector<float>>();
      return job(
          info, [=](epsnet::Net& net, const std::function<bool()>&) { *out = net.centroids(); },
          [out](Napi::Env env) { return f32Array(env, *out); });
    });
  }

  // nearest(queries) -> { value: Float32Array distances to the nearest bank vector in the probed lists }
  Napi::Value Nearest(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      size_t rows = 0;
      const float* x = readRows(info[0], dim_, &rows, "queries");
      auto out = std::make_shared<std::vector<float>>(rows);
      const size_t d = dim_;
      NetJob* j = job(
          info,
          [=](epsnet::Net& net, const std::function<bool()>&) {
            checkFinite(x, rows, d, "query vectors");
            net.nearestProbed(x, rows, out->data());
          },
          [out](Napi::Env env) { return f32Array(env, *out); });
      j->keep(info[0]);
      return j;
    });
  }

  // setRadius(r): queued like the rest, so it never races a running add.
  Napi::Value SetRadius(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      const float r = radiusArg(info, 0);
      return job(info, [=](epsnet::Net& net, const std::function<bool()>&) { net.setRadius(r); });
    });
  }

  // close(): frees the bank after any running operation (it holds the mutex).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    return queue(info, [&] {
      auto state = state_;
      return job(info, [state](epsnet::Net&, const std::function<bool()>&) { state->net.reset(); });
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
