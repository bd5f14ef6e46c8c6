// N-API face of the Faiss index: one ObjectWrap per index, every call that can take more than a millisecond a Job
// (job.h) behind a Promise. Ordering (mutations exclusive, searches concurrent) is the TS layer's job
// (native/lib/index-lock.ts); this layer keeps memory safe whatever the order: each operation holds a shared_ptr to
// the index, so close() during a search frees the index only when the search is done.
#include "index_wrap.h"

#include <faiss/IndexIDMap.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "addon_data.h"
#include "errors.h"
#include "finite_check.h"
#include "index_image.h"
#include "index_io.h"
#include "index_ivf_packed.h"
#include "index_search.h"
#include "index_tree.h"
#include "job.h"

namespace patchline {

namespace {

struct IndexState {
  std::unique_ptr<faiss::Index> index;
  // Derived from the index (packed IVF lists, the binary16 bank): cleared before every operation that may change it.
  SearchCache cache;
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

faiss::Index::idx_t kArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "k must be a number");
  double kd = info[i].As<Napi::Number>().DoubleValue();
  if (!(kd >= 1) || kd != std::floor(kd) || kd > 1e6) throw Napi::RangeError::New(info.Env(), "k must be a positive integer");
  return static_cast<faiss::Index::idx_t>(kd);
}

// A search's { distances, labels }, allocated on the JS thread before the job and filled in place by it.
struct ResultArrays {
  float* distances = nullptr;
  int64_t* labels = nullptr;
  std::shared_ptr<Napi::ObjectReference> object;

  ResultArrays(Napi::Env env, size_t count) {
    auto d = Napi::Float32Array::New(env, count);
    auto l = Napi::TypedArrayOf<int64_t>::New(env, count, napi_bigint64_array);
    distances = d.Data();
    labels = l.Data();
    Napi::Object o = Napi::Object::New(env);
    o.Set("distances", d);
    o.Set("labels", l);
    object = std::make_shared<Napi::ObjectReference>(Napi::Persistent(o));
  }
};

class NativeIndex;

// One operation on the index. `body` runs on the worker thread; `resolve` builds the Promise's value on the JS thread.
class IndexJob : public Job {
 public:
  using Body = std::function<void(IndexState&, IndexJob&)>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;

  IndexJob(Napi::Env env, std::shared_ptr<IndexState> state, NativeIndex* owner, Body body, Resolve resolve,
           bool mutates)
      : Job(env, "patchline:faiss-index"),
        state_(std::move(state)),
        owner_(owner),
        body_(std::move(body)),
        resolve_(std::move(resolve)),
        mutates_(mutates) {}

  // Searches run on the search lane (search_lane.h); everything else (train, add, read, write) on the libuv thread,
  // so that a long operation on one index does not hold up the searches of another.
  void useSearchLane() { lane_ = true; }
  bool onSearchLane() const override { return lane_; }

  // readIndex's job hands its state to the JS side in result(), so it must keep it until then.
  void keepStateUntilDone() { releaseOnWorker_ = false; }
  using Job::throwIfCancelled;

 protected:
  void run() override {
    if (mutates_) state_->cache.clear();
    body_(*state_, *this);
  }

  void afterRun() noexcept override {
    try {
      if (mutates_ && state_->index) snapshot_ = snapshotOf(*state_->index);
    } catch (...) {
    }
    // If close() ran meanwhile, this is the last reference: the index is destroyed here, on the worker thread,
    // not on the JS thread when the job is deleted (freeing gigabytes takes a while).
    if (releaseOnWorker_) state_.reset();
  }

  void settled(Napi::Env env) override;
  Napi::Value result(Napi::Env env) override { return resolve_ ? resolve_(env) : env.Undefined(); }

 private:
  std::shared_ptr<IndexState> state_;
  NativeIndex* owner_;
  Body body_;
  Resolve resolve_;
  bool mutates_;
  bool lane_ = false;
  bool releaseOnWorker_ = true;
  Snapshot snapshot_;
};

// Destroys an index on a worker thread.
class FreeJob : public Job {
 public:
  FreeJob(Napi::Env env, std::shared_ptr<IndexState> state) : Job(env, "patchline:faiss-index-free"), state_(std::move(state)) {}

 protected:
  void run() override { state_.reset(); }

 private:
  std::shared_ptr<IndexState> state_;
};

class NativeIndex : public Napi::ObjectWrap<NativeIndex> {
 public:
  static void Init(Napi::Env env) {
    Napi::Function fn = DefineClass(env, "NativeFaissIndex",
                                    {InstanceAccessor<&NativeIndex::Dimension>("dimension"),
                                     InstanceAccessor<&NativeIndex::Factory>("factory"),
                                     InstanceMethod<&NativeIndex::Stats>("stats"),
                                     InstanceMethod<&NativeIndex::Info>("info"),
                                     InstanceMethod<&NativeIndex::Params>("params"),
                                     InstanceMethod<&NativeIndex::SetParams>("setParams"),
                                     InstanceMethod<&NativeIndex::SetListPacking>("setListPacking"),
                                     InstanceMethod<&NativeIndex::Train>("train"),
                                     InstanceMethod<&NativeIndex::Add>("add"),
                                     InstanceMethod<&NativeIndex::Search>("search"),
                                     InstanceMethod<&NativeIndex::SearchImage>("searchImage"),
                                     InstanceMethod<&NativeIndex::RemoveIds>("removeIds"),
                                     InstanceMethod<&NativeIndex::Reset>("reset"),
                                     InstanceMethod<&NativeIndex::Write>("write"),
                                     InstanceMethod<&NativeIndex::Close>("close")});
    addonData(env).faissIndex = Napi::Persistent(fn);
  }

  struct Init_ {
    std::shared_ptr<IndexState> state;
    std::string factory;
    bool hasFactory;
  };

  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<IndexState> state, std::string factory, bool hasFactory) {
    Init_ init{std::move(state), std::move(factory), hasFactory};
    return addonData(env).faissIndex.New({Napi::External<Init_>::New(env, &init)});
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
    if (!state_) throw toJsError(env, Failure{"the FaissIndex is closed", code::kState});
    return state_;
  }

  // A job on this index; `this` (the JS object) stays alive until it settles.
  IndexJob* job(const Napi::CallbackInfo& info, IndexJob::Body body, IndexJob::Resolve resolve, bool mutates) {
    auto* j = new IndexJob(info.Env(), live(info.Env()), this, std::move(body), std::move(resolve), mutates);
    j->keep(info.This());
    return j;
  }

  size_t rowsOf(Napi::Env env, const Napi::Float32Array& a, const char* name) const {
    if (a.ElementLength() % static_cast<size_t>(d_) != 0) {
      throw Napi::RangeError::New(env, std::string(name) + " length " + std::to_string(a.ElementLength()) +
                                           " is not a multiple of the dimension " + std::to_string(d_));
    }
    return a.ElementLength() / static_cast<size_t>(d_);
  }

  // A search's first two arguments: the queries (whole rows) and k.
  std::tuple<Napi::Float32Array, size_t, faiss::Index::idx_t> queriesAndK(const Napi::CallbackInfo& info) const {
    Napi::Float32Array x = floatArg(info, 0, "queries");
    return {x, rowsOf(info.Env(), x, "queries"), kArg(info, 1)};
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
    o.Set("packedBytes", Napi::Number::New(env, static_cast<double>(live(env)->cache.bytes())));
    return o;
  }

  // setListPacking(on): whether searches may build and use the search copies (index_ivf_packed.h).
  Napi::Value SetListPacking(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(info.Env(), "on must be a boolean");
    live(info.Env())->cache.setEnabled(info[0].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
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
    const char* exact = exactSource(*state_->index);
    o.Set("exactVectors", exact != nullptr ? Napi::Value(Napi::String::New(env, exact)) : env.Null());
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
    const float* data = x.Data();
    IndexJob* j = job(
        info,
        [n, data](IndexState& s, IndexJob&) {
          if (inspect(*s.index).readOnly) throw StateError("the index was opened with mmap and is read-only");
          if (s.index->is_trained && s.index->ntotal > 0) {
            throw StateError("the index already holds vectors: reset() it before training again");
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
    j->keep(x);
    j->setToken(info.Length() > 1 ? info[1] : info.Env().Undefined());
    return j->start();
  }

  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Float32Array x = floatArg(info, 0, "vectors");
    size_t n = rowsOf(info.Env(), x, "vectors");
    const float* data = x.Data();
    const int64_t* ids = nullptr;
    Napi::Value idsObj = info.Env().Undefined();
    if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
      auto a = idsArg(info, 1, "ids");
      if (a.ElementLength() != n) {
        throw Napi::RangeError::New(info.Env(), "ids length " + std::to_string(a.ElementLength()) +
                                                    " does not match the " + std::to_string(n) + " vectors");
      }
      ids = a.Data();
      idsObj = a;
    }
    IndexJob* j = job(
        info,
        [n, data, ids](IndexState& s, IndexJob&) {
          TreeInfo t = inspect(*s.index);
          if (t.readOnly) throw StateError("the index was opened with mmap and is read-only");
          if (!s.index->is_trained) throw StateError("the index is not trained: call train() before add()");
          if (t.needsIds && ids == nullptr) throw StateError("this index maps ids (IDMap): add(vectors, ids) needs ids");
          checkFinite(data, n, s.index->d, "vectors");
          if (ids != nullptr) {
            s.index->add_with_ids(static_cast<faiss::Index::idx_t>(n), data, ids);
          } else {
            s.index->add(static_cast<faiss::Index::idx_t>(n), data);
          }
        },
        nullptr, true);
    j->keep(x);
    j->keep(idsObj);
    return j->start();
  }

  // search(queries, k, params, fastPaths) -> { distances, labels }: the result arrays are allocated here and
  // filled by the worker, and the queries are read in place: nothing is copied between JS and C++.
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto [x, rows, kk] = queriesAndK(info);
    const size_t n = rows;  // plain copies: C++17 lambdas cannot capture structured bindings
    const faiss::Index::idx_t k = kk;
    RuntimeParams params = info.Length() > 2 ? paramsFrom(info[2]) : RuntimeParams{};
    bool fast = info.Length() > 3 ? info[3].ToBoolean().Value() : true;
    const float* data = x.Data();
    ResultArrays out(env, n * k);
    IndexJob* j = job(
        info,
        [n, k, data, params, fast, out](IndexState& s, IndexJob&) {
          if (!s.index->is_trained) throw StateError("the index is not trained: call train() before search()");
          checkFinite(data, n, s.index->d, "queries");
          searchTree(*s.index, static_cast<faiss::Index::idx_t>(n), data, k, out.distances, out.labels, params, fast,
                     fast ? &s.cache : nullptr);
          markMissing(out.distances, out.labels, n * static_cast<size_t>(k));
        },
        [out](Napi::Env) -> Napi::Value { return out.object->Value(); }, false);
    j->useSearchLane();
    j->keep(x);
    return j->start();
  }

  // searchImage(queries, k, exactTop, params, exactVectors?, token?) -> ImageSearch (index_image.h): the whole
  // image in one call, outputs allocated here and filled in place.
  Napi::Value SearchImage(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto [x, rows, kk] = queriesAndK(info);
    const size_t n = rows;  // plain copies: C++17 lambdas cannot capture structured bindings
    const faiss::Index::idx_t k = kk;
    if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, "exactTop must be a number");
    double top = info[2].As<Napi::Number>().DoubleValue();
    if (!(top >= 0) || top != std::floor(top) || top > 4294967295.0) {
      throw Napi::RangeError::New(env, "exactTop must be an integer >= 0");
    }
    ImageSearchRequest req;
    req.n = static_cast<faiss::Index::idx_t>(n);
    req.queries = x.Data();
    req.k = k;
    req.exactTop = static_cast<size_t>(top);
    req.params = info.Length() > 3 ? paramsFrom(info[3]) : RuntimeParams{};
    Napi::Value exact = info.Length() > 4 ? info[4] : env.Undefined();
    if (!exact.IsUndefined() && !exact.IsNull()) {
      Napi::Float32Array e = floatArg(info, 4, "exactVectors");
      req.exactVectors = e.Data();
      req.exactRows = rowsOf(env, e, "exactVectors");
    }
    ResultArrays arrays(env, n * k);
    auto scores = Napi::Float32Array::New(env, n);
    auto refined = Napi::Uint32Array::New(env, n);
    auto out = std::make_shared<ImageSearchOutput>();
    out->distances = arrays.distances;
    out->labels = arrays.labels;
    out->scores = scores.Data();
    out->refined = refined.Data();
    arrays.object->Value().Set("scores", scores);
    auto refinedRef = std::make_shared<Napi::Reference<Napi::Uint32Array>>(Napi::Persistent(refined));
    IndexJob* j = job(
        info,
        [req, out](IndexState& s, IndexJob& self) {
          checkFinite(req.queries, static_cast<size_t>(req.n), s.index->d, "queries");
          ImageSearchRequest r = req;
          r.cache = &s.cache;
          searchImage(*s.index, r, *out, [&self] { self.throwIfCancelled(); });
        },
        [out, arrays, refinedRef](Napi::Env e) -> Napi::Value {
          Napi::Object v = arrays.object->Value();
          Napi::Uint32Array all = refinedRef->Value();
          v.Set("refined", Napi::Uint32Array::New(e, out->refinedCount, all.ArrayBuffer(), 0));
          v.Set("rounds", Napi::Number::New(e, static_cast<double>(out->rounds)));
          v.Set("exact", Napi::Boolean::New(e, out->exact));
          v.Set("maxPatch", Napi::Number::New(e, static_cast<double>(out->maxPatch)));
          v.Set("maxScore", Napi::Number::New(e, out->maxScore));
          return v;
        },
        false);
    j->useSearchLane();
    j->keep(x);
    j->keep(exact);
    j->setToken(info.Length() > 5 ? info[5] : env.Undefined());
    return j->start();
  }

  Napi::Value RemoveIds(const Napi::CallbackInfo& info) {
    auto a = idsArg(info, 0, "ids");
    auto ids = std::make_shared<std::vector<faiss::Index::idx_t>>(a.Data(), a.Data() + a.ElementLength());
    auto removed = std::make_shared<size_t>(0);
    IndexJob* j = job(
        info,
        [ids, removed](IndexState& s, IndexJob&) {
          if (inspect(*s.index).readOnly) throw StateError("the index was opened with mmap and is read-only");
          faiss::IDSelectorBatch sel(ids->size(), ids->data());
          *removed = s.index->remove_ids(sel);
        },
        [removed](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, static_cast<double>(*removed)); },
        true);
    return j->start();
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    IndexJob* j = job(
        info,
        [](IndexState& s, IndexJob&) {
          if (inspect(*s.index).readOnly) throw StateError("the index was opened with mmap and is read-only");
          s.index->reset();
        },
        nullptr, true);
    return j->start();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    IndexJob* j = job(info, [path](IndexState& s, IndexJob&) { writeIndexAtomic(*s.index, path); }, nullptr, false);
    return j->start();
  }

  // Frees the index now, off the JS thread; an operation still running holds its own reference and frees it when
  // it ends instead.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (state_) (new FreeJob(info.Env(), std::move(state_)))->start();
    state_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<IndexState> state_;
  std::string factory_;
  bool hasFactory_ = false;
  int d_ = 0;
  Snapshot snapshot_;
};

void IndexJob::settled(Napi::Env) {
  if (owner_ != nullptr && mutates_) owner_->apply(snapshot_);
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
  auto* j = new IndexJob(
      env, state, nullptr, [path, mmap](IndexState& s, IndexJob&) { s.index = readIndexFile(path, mmap); },
      [state](Napi::Env e) -> Napi::Value { return NativeIndex::Wrap(e, state, "", false); }, false);
  j->keepStateUntilDone();
  return j->start();
}

}  // namespace

void InitIndex(Napi::Env env, Napi::Object exports) {
  installFaissInterrupt();
  NativeIndex::Init(env);
  exports.Set("createIndex", Napi::Function::New(env, CreateIndex));
  exports.Set("readIndex", Napi::Function::New(env, ReadIndex));
}

}  // namespace patchline
