// N-API face of the Faiss index: one ObjectWrap per index, every call that can take more than a millisecond on a
// libuv worker thread behind a Promise. Ordering (mutations exclusive, searches concurrent) is the TS layer's job
// (native/lib/index-lock.ts); this layer keeps memory safe whatever the order: each operation holds a shared_ptr to
// the index, so close() during a search frees the index only when the search is done.
#include "index_wrap.h"

#include <faiss/IndexIDMap.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cancel_token.h"
#include "errors.h"
#include "index_io.h"
#include "index_search.h"
#include "index_simd.h"
#include "index_tree.h"

namespace patchline {

namespace {

// Faiss polls one process-wide InterruptCallback from the thread that started a long computation (k-means
// iterations, HNSW construction). The token of the operation running on this thread answers it.
thread_local const CancelToken* tlToken = nullptr;

struct TokenInterrupt : faiss::InterruptCallback {
  bool want_interrupt() override { return tlToken != nullptr && tlToken->cancelled(); }
};

struct IndexState {
  std::unique_ptr<faiss::Index> index;
};

struct Snapshot {
  double ntotal = 0;
  bool trained = false;
  MemoryUse memory;
  TreeInfo info;
};

Snapshot snapshotOf(const faiss::Index& idx) {
  return Snapshot{static_cast<double>(idx.ntotal), idx.is_trained, memoryUse(idx), inspect(idx)};
}

RuntimeParams paramsFrom(const Napi::Value& v) {
  RuntimeParams p;
  if (!v.IsObject()) return p;
  Napi::Object o = v.As<Napi::Object>();
  auto num = [&](const char* key) -> double {
    Napi::Value x = o.Get(key);
    return x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
  };
  p.nprobe = static_cast<long>(num("nprobe"));
  p.efSearch = static_cast<long>(num("efSearch"));
  p.kFactor = num("kFactor");
  return p;
}

Napi::Object paramsTo(Napi::Env env, const RuntimeParams& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("nprobe", Napi::Number::New(env, static_cast<double>(p.nprobe)));
  o.Set("efSearch", Napi::Number::New(env, static_cast<double>(p.efSearch)));
  o.Set("kFactor", Napi::Number::New(env, p.kFactor));
  return o;
}

Napi::Float32Array floatArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
  }
  return info[i].As<Napi::Float32Array>();
}

Napi::TypedArrayOf<int64_t> idsArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a BigInt64Array");
  }
  return info[i].As<Napi::TypedArrayOf<int64_t>>();
}

// NaN or Inf in a vector would silently poison k-means, HNSW links or every distance: refuse it, naming the spot.
// Runs on the worker thread (a bit test per float, vectorised), so adding a large bank never blocks JS.
void checkFinite(const float* x, size_t n, size_t d, const char* what) {
  size_t total = n * d;
  const size_t block = 4096;
  for (size_t b = 0; b < total; b += block) {
    size_t end = std::min(total, b + block);
    uint32_t bad = 0;
    for (size_t i = b; i < end; i++) {
      uint32_t bits;
      std::memcpy(&bits, x + i, sizeof(bits));
      bad |= static_cast<uint32_t>((bits & 0x7F800000u) == 0x7F800000u);
    }
    if (bad == 0) continue;
    for (size_t i = b; i < end; i++) {
      if (!std::isfinite(x[i])) {
        throw UserError(std::string(what) + " contain " + (std::isnan(x[i]) ? "NaN" : "Infinity") + " at row " +
                        std::to_string(i / d) + ", column " + std::to_string(i % d));
      }
    }
  }
}

class NativeIndex;

// One operation on a worker thread. `body` runs there; `resolve` builds the Promise's value on the JS thread.
class IndexWorker : public Napi::AsyncWorker {
 public:
  using Body = std::function<void(IndexState&)>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;

  IndexWorker(Napi::Env env, std::shared_ptr<IndexState> state, NativeIndex* owner, Napi::Object self, Body body,
              Resolve resolve, bool mutates)
      : Napi::AsyncWorker(env, "patchline:faiss-index"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        owner_(owner),
        body_(std::move(body)),
        resolve_(std::move(resolve)),
        mutates_(mutates),
        // omp_set_num_threads only sets the calling thread's value: carry the JS thread's setting over.
        threads_(omp_get_max_threads()) {
    if (!self.IsEmpty()) self_ = Napi::Persistent(self);
  }

  // Keeps a JS object (an input array, the cancel token) alive until the operation ends.
  void keep(Napi::Object o) { kept_.push_back(Napi::Persistent(o)); }
  void setToken(const CancelToken* t) { token_ = t; }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    omp_set_num_threads(threads_);
    tlToken = token_;
    struct Reset {
      ~Reset() { tlToken = nullptr; }
    } reset;
    try {
      if (token_ != nullptr) token_->throwIfCancelled();
      runGuarded([&] { body_(*state_); });
    } catch (const Cancelled&) {
      cancelled_ = true;
    } catch (const std::exception& e) {
      // Faiss reports an interrupt as an ordinary error.
      if (token_ != nullptr && token_->cancelled()) {
        cancelled_ = true;
      } else {
        finish();
        throw;
      }
    }
    finish();
    if (cancelled_) throw std::runtime_error("the operation was aborted");
  }

  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  void finish() {
    if (mutates_ && state_->index) snapshot_ = snapshotOf(*state_->index);
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<IndexState> state_;
  NativeIndex* owner_;
  Napi::ObjectReference self_;
  std::vector<Napi::ObjectReference> kept_;
  Body body_;
  Resolve resolve_;
  bool mutates_;
  int threads_;
  const CancelToken* token_ = nullptr;
  bool cancelled_ = false;
  Snapshot snapshot_;
};

class NativeIndex : public Napi::ObjectWrap<NativeIndex> {
 public:
  static Napi::FunctionReference* ctor;

  static Napi::Function Init(Napi::Env env) {
    Napi::Function fn = DefineClass(env, "NativeFaissIndex",
                                    {InstanceAccessor<&NativeIndex::Dimension>("dimension"),
                                     InstanceAccessor<&NativeIndex::Factory>("factory"),
                                     InstanceMethod<&NativeIndex::Stats>("stats"),
                                     InstanceMethod<&NativeIndex::Info>("info"),
                                     InstanceMethod<&NativeIndex::Params>("params"),
                                     InstanceMethod<&NativeIndex::SetParams>("setParams"),
                                     InstanceMethod<&NativeIndex::Train>("train"),
                                     InstanceMethod<&NativeIndex::Add>("add"),
                                     InstanceMethod<&NativeIndex::Search>("search"),
                                     InstanceMethod<&NativeIndex::RemoveIds>("removeIds"),
                                     InstanceMethod<&NativeIndex::Reset>("reset"),
                                     InstanceMethod<&NativeIndex::Write>("write"),
                                     InstanceMethod<&NativeIndex::Close>("close")});
    ctor = new Napi::FunctionReference(Napi::Persistent(fn));
    return fn;
  }

  struct Init_ {
    std::shared_ptr<IndexState> state;
    std::string factory;
    bool hasFactory;
  };

  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<IndexState> state, std::string factory, bool hasFactory) {
    Init_ init{std::move(state), std::move(factory), hasFactory};
    return ctor->New({Napi::External<Init_>::New(env, &init)});
  }

  explicit NativeIndex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeIndex>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), "use createIndex() or readIndex()");
    }
    Init_* init = info[0].As<Napi::External<Init_>>().Data();
    state_ = std::move(init->state);
    factory_ = init->factory;
    hasFactory_ = init->hasFactory;
    d_ = state_->index->d;
    snapshot_ = snapshotOf(*state_->index);
  }

  void apply(const Snapshot& s) {
    if (state_) snapshot_ = s;
  }

 private:
  std::shared_ptr<IndexState> live(Napi::Env env) const {
    if (!state_) throw Napi::Error::New(env, "the FaissIndex is closed");
    return state_;
  }

  IndexWorker* worker(const Napi::CallbackInfo& info, IndexWorker::Body body, IndexWorker::Resolve resolve,
                      bool mutates) {
    return new IndexWorker(info.Env(), live(info.Env()), this, info.This().As<Napi::Object>(), std::move(body),
                           std::move(resolve), mutates);
  }

  size_t rowsOf(Napi::Env env, const Napi::Float32Array& a, const char* name) const {
    if (a.ElementLength() % static_cast<size_t>(d_) != 0) {
      throw Napi::RangeError::New(env, std::string(name) + " length " + std::to_string(a.ElementLength()) +
                                           " is not a multiple of the dimension " + std::to_string(d_));
    }
    return a.ElementLength() / static_cast<size_t>(d_);
  }

  Napi::Value Dimension(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), d_); }

  Napi::Value Factory(const Napi::CallbackInfo& info) {
    return hasFactory_ ? Napi::String::New(info.Env(), factory_) : info.Env().Null();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    live(info.Env());
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("ntotal", Napi::Number::New(env, snapshot_.ntotal));
    o.Set("isTrained", Napi::Boolean::New(env, snapshot_.trained));
    o.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(snapshot_.memory.heap)));
    o.Set("mappedBytes", Napi::Number::New(env, static_cast<double>(snapshot_.memory.mapped)));
    return o;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    live(info.Env());
    Napi::Env env = info.Env();
    const TreeInfo& t = snapshot_.info;
    Napi::Object o = Napi::Object::New(env);
    o.Set("ivf", Napi::Boolean::New(env, t.ivf));
    o.Set("hnsw", Napi::Boolean::New(env, t.hnsw));
    o.Set("refine", Napi::Boolean::New(env, t.refine));
    o.Set("needsIds", Napi::Boolean::New(env, t.needsIds));
    o.Set("readOnly", Napi::Boolean::New(env, t.readOnly));
    o.Set("nlist", Napi::Number::New(env, static_cast<double>(t.nlist)));
    return o;
  }

  // Reads the index's stored parameters: the TS layer calls it only while no mutation is running.
  Napi::Value Params(const Napi::CallbackInfo& info) {
    return paramsTo(info.Env(), currentParams(*live(info.Env())->index));
  }

  Napi::Value SetParams(const Napi::CallbackInfo& info) {
    auto st = live(info.Env());
    applyParams(*st->index, paramsFrom(info[0]));
    return info.Env().Undefined();
  }

  Napi::Value Train(const Napi::CallbackInfo& info) {
    Napi::Float32Array x = floatArg(info, 0, "vectors");
    size_t n = rowsOf(info.Env(), x, "vectors");
    const CancelToken* token = info.Length() > 1 ? CancelToken::From(info[1]) : nullptr;
    const float* data = x.Data();
    IndexWorker* w = worker(
        info,
        [n, data](IndexState& s) {
          if (inspect(*s.index).readOnly) throw UserError("the index was opened with mmap and is read-only");
          if (s.index->is_trained && s.index->ntotal > 0) {
            throw UserError("the index already holds vectors: reset() it before training again");
          }
          checkFinite(data, n, s.index->d, "training vectors");
          FastTraining fast(*s.index);
          try {
            s.index->train(static_cast<faiss::Index::idx_t>(n), data);
          } catch (...) {
            forgetPartialTraining(*s.index);
            throw;
          }
        },
        nullptr, true);
    w->keep(x);
    if (token != nullptr) {
      w->keep(info[1].As<Napi::Object>());
      w->setToken(token);
    }
    w->Queue();
    return w->promise();
  }

  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Float32Array x = floatArg(info, 0, "vectors");
    size_t n = rowsOf(info.Env(), x, "vectors");
    const float* data = x.Data();
    const int64_t* ids = nullptr;
    Napi::Object idsObj;
    if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
      auto a = idsArg(info, 1, "ids");
      if (a.ElementLength() != n) {
        throw Napi::RangeError::New(info.Env(), "ids length " + std::to_string(a.ElementLength()) +
                                                    " does not match the " + std::to_string(n) + " vectors");
      }
      ids = a.Data();
      idsObj = a;
    }
    IndexWorker* w = worker(
        info,
        [n, data, ids](IndexState& s) {
          TreeInfo t = inspect(*s.index);
          if (t.readOnly) throw UserError("the index was opened with mmap and is read-only");
          if (!s.index->is_trained) throw UserError("the index is not trained: call train() before add()");
          if (t.needsIds && ids == nullptr) throw UserError("this index maps ids (IDMap): add(vectors, ids) needs ids");
          checkFinite(data, n, s.index->d, "vectors");
          if (ids != nullptr) {
            s.index->add_with_ids(static_cast<faiss::Index::idx_t>(n), data, ids);
          } else {
            s.index->add(static_cast<faiss::Index::idx_t>(n), data);
          }
        },
        nullptr, true);
    w->keep(x);
    if (ids != nullptr) w->keep(idsObj);
    w->Queue();
    return w->promise();
  }

  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Float32Array x = floatArg(info, 0, "queries");
    size_t n = rowsOf(env, x, "queries");
    if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(env, "k must be a number");
    double kd = info[1].As<Napi::Number>().DoubleValue();
    if (!(kd >= 1) || kd != std::floor(kd) || kd > 1e6) throw Napi::RangeError::New(env, "k must be a positive integer");
    auto k = static_cast<faiss::Index::idx_t>(kd);
    RuntimeParams params = info.Length() > 2 ? paramsFrom(info[2]) : RuntimeParams{};
    bool fast = info.Length() > 3 ? info[3].ToBoolean().Value() : true;
    const float* data = x.Data();
    struct Out {
      std::vector<float> distances;
      std::vector<int64_t> labels;
    };
    auto out = std::make_shared<Out>();
    IndexWorker* w = worker(
        info,
        [n, k, data, params, fast, out](IndexState& s) {
          if (!s.index->is_trained) throw UserError("the index is not trained: call train() before search()");
          checkFinite(data, n, s.index->d, "queries");
          out->distances.resize(n * k);
          out->labels.resize(n * k);
          searchTree(*s.index, static_cast<faiss::Index::idx_t>(n), data, k, out->distances.data(),
                     out->labels.data(), params, fast);
          for (size_t i = 0; i < out->labels.size(); i++) {
            if (out->labels[i] < 0) out->distances[i] = std::numeric_limits<float>::infinity();
          }
        },
        [out](Napi::Env env) -> Napi::Value {
          size_t m = out->labels.size();
          auto dBuf = Napi::ArrayBuffer::New(env, m * sizeof(float));
          auto lBuf = Napi::ArrayBuffer::New(env, m * sizeof(int64_t));
          if (m > 0) {
            std::memcpy(dBuf.Data(), out->distances.data(), m * sizeof(float));
            std::memcpy(lBuf.Data(), out->labels.data(), m * sizeof(int64_t));
          }
          Napi::Object r = Napi::Object::New(env);
          r.Set("distances", Napi::Float32Array::New(env, m, dBuf, 0));
          r.Set("labels", Napi::TypedArrayOf<int64_t>::New(env, m, lBuf, 0, napi_bigint64_array));
          return r;
        },
        false);
    w->keep(x);
    w->Queue();
    return w->promise();
  }

  Napi::Value RemoveIds(const Napi::CallbackInfo& info) {
    auto a = idsArg(info, 0, "ids");
    auto ids = std::make_shared<std::vector<faiss::Index::idx_t>>(a.Data(), a.Data() + a.ElementLength());
    auto removed = std::make_shared<size_t>(0);
    IndexWorker* w = worker(
        info,
        [ids, removed](IndexState& s) {
          if (inspect(*s.index).readOnly) throw UserError("the index was opened with mmap and is read-only");
          faiss::IDSelectorBatch sel(ids->size(), ids->data());
          *removed = s.index->remove_ids(sel);
        },
        [removed](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, static_cast<double>(*removed)); },
        true);
    w->Queue();
    return w->promise();
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    IndexWorker* w = worker(
        info,
        [](IndexState& s) {
          if (inspect(*s.index).readOnly) throw UserError("the index was opened with mmap and is read-only");
          s.index->reset();
        },
        nullptr, true);
    w->Queue();
    return w->promise();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    IndexWorker* w = worker(info, [path](IndexState& s) { writeIndexAtomic(*s.index, path); }, nullptr, false);
    w->Queue();
    return w->promise();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    state_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<IndexState> state_;
  std::string factory_;
  bool hasFactory_ = false;
  int d_ = 0;
  Snapshot snapshot_;
};

Napi::FunctionReference* NativeIndex::ctor = nullptr;

void IndexWorker::OnOK() {
  if (owner_ != nullptr && mutates_) owner_->apply(snapshot_);
  deferred_.Resolve(resolve_ ? resolve_(Env()) : Env().Undefined());
}

void IndexWorker::OnError(const Napi::Error& e) {
  if (owner_ != nullptr && mutates_) owner_->apply(snapshot_);
  Napi::Error err = Napi::Error::New(Env(), e.Message());
  if (cancelled_) err.Set("name", Napi::String::New(Env(), "AbortError"));
  deferred_.Reject(err.Value());
}

Napi::Value CreateIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsString()) {
    throw Napi::TypeError::New(env, "createIndex(dimension: number, factory: string)");
  }
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 1) || d != std::floor(d) || d > 65536) {
    throw Napi::RangeError::New(env, "dimension must be an integer in 1..65536");
  }
  std::string factory = info[1].As<Napi::String>().Utf8Value();
  return callGuarded(env, [&]() -> Napi::Value {
    auto state = std::make_shared<IndexState>();
    try {
      state->index.reset(faiss::index_factory(static_cast<int>(d), factory.c_str(), faiss::METRIC_L2));
    } catch (const faiss::FaissException& e) {
      throw UserError("unknown or invalid index factory string \"" + factory + "\" for dimension " +
                      std::to_string(static_cast<int>(d)) + " (" + describe(e) + ")");
    }
    wrapFastStorage(state->index);
    disablePolysemousTraining(*state->index);
    return NativeIndex::Wrap(env, std::move(state), factory, true);
  });
}

Napi::Value ReadIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  bool mmap = info.Length() > 1 && info[1].ToBoolean().Value();
  auto state = std::make_shared<IndexState>();
  auto* w = new IndexWorker(
      env, state, nullptr, Napi::Object(),
      [path, mmap](IndexState& s) { s.index = readIndexFile(path, mmap); },
      [state](Napi::Env e) -> Napi::Value { return NativeIndex::Wrap(e, state, "", false); }, false);
  w->Queue();
  return w->promise();
}

Napi::Value SimdLevels(const Napi::CallbackInfo& info) {
  size_t count = 0;
  const char* const* levels = supportedSimdLevels(&count);
  Napi::Array a = Napi::Array::New(info.Env(), count);
  for (size_t i = 0; i < count; i++) a.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), levels[i]));
  return a;
}

Napi::Value SimdLevel(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), simd().name); }

Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "level must be a string");
  return Napi::Boolean::New(info.Env(), setSimdLevel(info[0].As<Napi::String>().Utf8Value().c_str()));
}

}  // namespace

void InitIndex(Napi::Env env, Napi::Object exports) {
  faiss::InterruptCallback::instance.reset(new TokenInterrupt());
  NativeIndex::Init(env);
  exports.Set("createIndex", Napi::Function::New(env, CreateIndex));
  exports.Set("readIndex", Napi::Function::New(env, ReadIndex));
  exports.Set("simdLevels", Napi::Function::New(env, SimdLevels));
  exports.Set("simdLevel", Napi::Function::New(env, SimdLevel));
  exports.Set("setSimdLevel", Napi::Function::New(env, SetSimd));
}

}  // namespace patchline
