#include "index_tree.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/VectorTransform.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/invlists/OnDiskInvertedLists.h>

#include <algorithm>
#include <functional>

#include "native_error.h"
#include "index_knn.h"

namespace patchline {

namespace {

using IDMap = faiss::IndexIDMapTemplate<faiss::Index>;
using IDMap2 = faiss::IndexIDMap2Template<faiss::Index>;

// Calls f on every node, parents first.
void visit(const faiss::Index* node, const std::function<void(const faiss::Index&)>& f) {
  if (node == nullptr) return;
  f(*node);
  if (auto* p = dynamic_cast<const faiss::IndexPreTransform*>(node)) {
    visit(p->index, f);
  } else if (auto* m = dynamic_cast<const IDMap*>(node)) {
    visit(m->index, f);
  } else if (auto* r = dynamic_cast<const faiss::IndexRefine*>(node)) {
    visit(r->base_index, f);
    visit(r->refine_index, f);
  } else if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(node)) {
    visit(ivf->quantizer, f);
  } else if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(node)) {
    visit(h->storage, f);
  }
}

// Replaces an owned child by its fast equivalent (and wraps below it).
void wrapChild(faiss::Index*& child, bool owned);

void wrapBelow(faiss::Index* node) {
  if (auto* p = dynamic_cast<faiss::IndexPreTransform*>(node)) {
    wrapChild(p->index, p->own_fields);
  } else if (auto* m = dynamic_cast<IDMap*>(node)) {
    wrapChild(m->index, m->own_fields);
  } else if (auto* r = dynamic_cast<faiss::IndexRefine*>(node)) {
    wrapChild(r->base_index, r->own_fields);
    wrapChild(r->refine_index, r->own_refine_index);
  } else if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(node)) {
    wrapChild(ivf->quantizer, ivf->own_fields);
  } else if (auto* h = dynamic_cast<faiss::IndexHNSW*>(node)) {
    wrapChild(h->storage, h->own_fields);
  }
}

void wrapChild(faiss::Index*& child, bool owned) {
  if (child == nullptr) return;
  if (owned) {
    if (faiss::Index* fast = toFastFlat(child)) {
      delete child;
      child = fast;
    }
  }
  wrapBelow(child);
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw IoError("index file " + path + " is corrupt: " + what);
}

void validateHnsw(const faiss::IndexHNSW& h, const std::string& path) {
  const faiss::HNSW& g = h.hnsw;
  size_t n = static_cast<size_t>(h.ntotal);
  if (h.storage == nullptr) corrupt(path, "HNSW without storage");
  if (static_cast<size_t>(h.storage->ntotal) != n) corrupt(path, "HNSW graph and storage sizes differ");
  if (g.levels.size() != n || g.offsets.size() != n + 1) corrupt(path, "HNSW level tables do not match ntotal");
  if (g.offsets.back() != g.neighbors.size()) corrupt(path, "HNSW neighbour table size mismatch");
  if (g.cum_nneighbor_per_level.empty()) corrupt(path, "HNSW without levels");
  int maxLevel = -1;
  for (size_t i = 0; i < n; i++) {
    int lv = g.levels[i];
    if (lv < 1 || static_cast<size_t>(lv) >= g.cum_nneighbor_per_level.size()) corrupt(path, "HNSW level out of range");
    if (g.offsets[i + 1] < g.offsets[i] ||
        g.offsets[i + 1] - g.offsets[i] != static_cast<size_t>(g.cum_nneighbor_per_level[lv])) {
      corrupt(path, "HNSW neighbour offsets are inconsistent");
    }
    maxLevel = std::max(maxLevel, lv - 1);
  }
  for (auto v : g.neighbors) {
    if (v < -1 || v >= static_cast<faiss::HNSW::storage_idx_t>(n)) corrupt(path, "HNSW link points outside the index");
  }
  if (n > 0) {
    if (g.entry_point < 0 || static_cast<size_t>(g.entry_point) >= n) corrupt(path, "HNSW entry point out of range");
    if (g.max_level != maxLevel) corrupt(path, "HNSW max level does not match the levels");
  }
}

void validateIvf(const faiss::IndexIVF& ivf, const std::string& path) {
  if (ivf.quantizer == nullptr || ivf.invlists == nullptr) corrupt(path, "IVF without quantizer or lists");
  if (ivf.quantizer->d != ivf.d) corrupt(path, "IVF quantizer dimension differs from the index");
  if (ivf.is_trained && static_cast<size_t>(ivf.quantizer->ntotal) != ivf.nlist) {
    corrupt(path, "IVF quantizer does not hold nlist centroids");
  }
  if (ivf.invlists->nlist != ivf.nlist) corrupt(path, "IVF list count mismatch");
  if (ivf.invlists->code_size != ivf.code_size) corrupt(path, "IVF code size mismatch");
  size_t total = 0;
  auto* od = dynamic_cast<const faiss::OnDiskInvertedLists*>(ivf.invlists);
  for (size_t l = 0; l < ivf.nlist; l++) {
    size_t m = ivf.invlists->list_size(l);
    total += m;
    if (od != nullptr) {
      const auto& L = od->lists[l];
      size_t bytes = L.capacity * (ivf.code_size + sizeof(faiss::Index::idx_t));
      if (L.size > L.capacity || L.offset > od->totsize || bytes > od->totsize - L.offset) {
        corrupt(path, "inverted list " + std::to_string(l) + " lies past the end of the file (truncated?)");
      }
    }
  }
  if (total != static_cast<size_t>(ivf.ntotal)) corrupt(path, "IVF list sizes do not add up to ntotal");
}

void validateNode(const faiss::Index& node, const std::string& path) {
  if (node.d <= 0 || node.ntotal < 0) corrupt(path, "negative or zero dimension or size");
  if (auto* f = dynamic_cast<const faiss::IndexFlatCodes*>(&node)) {
    if (f->codes.size() != static_cast<size_t>(f->ntotal) * f->code_size) corrupt(path, "vector data size mismatch");
  }
  if (auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(&node)) {
    if (sq->is_trained && sq->sq.code_size != sq->code_size) corrupt(path, "scalar quantizer code size mismatch");
  }
  if (auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(&node)) {
    if (pq->is_trained && pq->pq.centroids.size() != pq->pq.M * pq->pq.ksub * pq->pq.dsub) {
      corrupt(path, "product quantizer centroid table size mismatch");
    }
  }
  if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&node)) validateIvf(*ivf, path);
  if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(&node)) validateHnsw(*h, path);
  if (auto* m = dynamic_cast<const IDMap*>(&node)) {
    if (m->index == nullptr || m->id_map.size() != static_cast<size_t>(m->ntotal) || m->index->ntotal != m->ntotal) {
      corrupt(path, "id map size does not match the index");
    }
    if (m->index->d != m->d) corrupt(path, "id map dimension mismatch");
  }
  if (auto* r = dynamic_cast<const faiss::IndexRefine*>(&node)) {
    if (r->base_index == nullptr || r->refine_index == nullptr) corrupt(path, "refine index without its parts");
    if (r->base_index->ntotal != r->ntotal || r->refine_index->ntotal != r->ntotal) {
      corrupt(path, "refine stages hold different numbers of vectors");
    }
    if (r->base_index->d != r->d || r->refine_index->d != r->d) corrupt(path, "refine stage dimension mismatch");
  }
  if (auto* p = dynamic_cast<const faiss::IndexPreTransform*>(&node)) {
    if (p->index == nullptr) corrupt(path, "pre-transform without its index");
    int din = p->d;
    for (const faiss::VectorTransform* vt : p->chain) {
      if (vt == nullptr || vt->d_in != din) corrupt(path, "transform chain dimensions do not match");
      if (auto* lt = dynamic_cast<const faiss::LinearTransform*>(vt)) {
        if (lt->is_trained && lt->A.size() != static_cast<size_t>(lt->d_in) * lt->d_out) {
          corrupt(path, "transform matrix size mismatch");
        }
      }
      din = vt->d_out;
    }
    if (p->index->d != din) corrupt(path, "transform output does not match the inner index dimension");
    if (p->index->ntotal != p->ntotal) corrupt(path, "pre-transform size mismatch");
  }
}

size_t vecBytes(size_t capacity, size_t elem) { return capacity * elem; }

}  // namespace

struct FastTraining::Hook {
  faiss::ProductQuantizer* pq = nullptr;     // assign_index hooked into this PQ
  faiss::OPQMatrix* opq = nullptr;           // or: this OPQ trains through `owned`
  std::unique_ptr<faiss::ProductQuantizer> owned;
  std::unique_ptr<faiss::Index> assign;
};

FastTraining::FastTraining(faiss::Index& root) {
  auto hookPq = [&](faiss::ProductQuantizer& pq) {
    if (pq.assign_index != nullptr || pq.dsub == 0) return;
    auto h = std::make_unique<Hook>();
    h->assign = std::make_unique<FastFlatL2>(static_cast<idx_t>(pq.dsub));
    h->pq = &pq;
    pq.assign_index = h->assign.get();
    hooks_.push_back(std::move(h));
  };
  visit(&root, [&](const faiss::Index& cnode) {
    auto& node = const_cast<faiss::Index&>(cnode);
    if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(&node)) hookPq(ivfpq->pq);
    if (auto* ipq = dynamic_cast<faiss::IndexPQ*>(&node)) hookPq(ipq->pq);
    if (auto* p = dynamic_cast<faiss::IndexPreTransform*>(&node)) {
      for (faiss::VectorTransform* vt : p->chain) {
        auto* opq = dynamic_cast<faiss::OPQMatrix*>(vt);
        if (opq == nullptr || opq->pq != nullptr || opq->is_trained) continue;
        auto h = std::make_unique<Hook>();
        h->owned = std::make_unique<faiss::ProductQuantizer>(opq->d_out, opq->M, 8);
        h->assign = std::make_unique<FastFlatL2>(static_cast<idx_t>(h->owned->dsub));
        h->owned->assign_index = h->assign.get();
        h->opq = opq;
        opq->pq = h->owned.get();
        hooks_.push_back(std::move(h));
      }
    }
  });
}

FastTraining::~FastTraining() {
  for (auto& h : hooks_) {
    if (h->pq != nullptr) h->pq->assign_index = nullptr;
    if (h->opq != nullptr) h->opq->pq = nullptr;
  }
}

void wrapFastStorage(std::unique_ptr<faiss::Index>& root) {
  if (faiss::Index* fast = toFastFlat(root.get())) root.reset(fast);
  wrapBelow(root.get());
}

void forgetPartialTraining(faiss::Index& root) {
  visit(&root, [](const faiss::Index& cnode) {
    auto& node = const_cast<faiss::Index&>(cnode);
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(&node); ivf && !ivf->is_trained && ivf->quantizer != nullptr) {
      ivf->quantizer->reset();
    }
  });
}

void disablePolysemousTraining(faiss::Index& root) {
  visit(&root, [](const faiss::Index& cnode) {
    auto& node = const_cast<faiss::Index&>(cnode);
    if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(&node)) ivfpq->do_polysemous_training = false;
    if (auto* pq = dynamic_cast<faiss::IndexPQ*>(&node)) pq->do_polysemous_training = false;
  });
}

void validateTree(const faiss::Index& root, const std::string& path) {
  visit(&root, [&](const faiss::Index& node) {
    validateNode(node, path);
  });
}

TreeInfo inspect(const faiss::Index& root) {
  TreeInfo info;
  visit(&root, [&](const faiss::Index& node) {
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&node)) {
      if (!info.ivf) info.nlist = ivf->nlist;
      info.ivf = true;
      if (auto* od = dynamic_cast<const faiss::OnDiskInvertedLists*>(ivf->invlists)) info.readOnly |= od->read_only;
    }
    if (dynamic_cast<const faiss::IndexHNSW*>(&node) != nullptr) info.hnsw = true;
    if (dynamic_cast<const faiss::IndexRefine*>(&node) != nullptr) info.refine = true;
    if (dynamic_cast<const IDMap*>(&node) != nullptr) info.needsIds = true;
  });
  return info;
}

RuntimeParams currentParams(const faiss::Index& root) {
  RuntimeParams p;
  visit(&root, [&](const faiss::Index& node) {
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&node); ivf && p.nprobe < 0) {
      p.nprobe = static_cast<long>(ivf->nprobe);
    }
    if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(&node); h && p.efSearch < 0) p.efSearch = h->hnsw.efSearch;
    if (auto* r = dynamic_cast<const faiss::IndexRefine*>(&node); r && p.kFactor < 0) p.kFactor = r->k_factor;
  });
  return p;
}

void applyParams(faiss::Index& root, const RuntimeParams& p) {
  visit(&root, [&](const faiss::Index& cnode) {
    auto& node = const_cast<faiss::Index&>(cnode);
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(&node); ivf && p.nprobe > 0) {
      ivf->nprobe = std::min(static_cast<size_t>(p.nprobe), ivf->nlist);
    }
    if (auto* h = dynamic_cast<faiss::IndexHNSW*>(&node); h && p.efSearch > 0) {
      h->hnsw.efSearch = static_cast<int>(p.efSearch);
    }
    if (auto* r = dynamic_cast<faiss::IndexRefine*>(&node); r && p.kFactor > 0) {
      r->k_factor = static_cast<float>(p.kFactor);
    }
  });
}

MemoryUse memoryUse(const faiss::Index& root) {
  MemoryUse m;
  visit(&root, [&](const faiss::Index& node) {
    if (auto* f = dynamic_cast<const faiss::IndexFlatCodes*>(&node)) m.heap += f->codes.capacity();
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&node)) {
      if (auto* a = dynamic_cast<const faiss::ArrayInvertedLists*>(ivf->invlists)) {
        for (size_t l = 0; l < a->nlist; l++) {
          m.heap += vecBytes(a->codes[l].capacity(), 1) + vecBytes(a->ids[l].capacity(), sizeof(faiss::Index::idx_t));
        }
      } else if (auto* od = dynamic_cast<const faiss::OnDiskInvertedLists*>(ivf->invlists)) {
        m.mapped += od->totsize;
        m.heap += vecBytes(od->lists.capacity(), sizeof(faiss::OnDiskOneList));
      }
    }
    if (auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(&node)) {
      m.heap += vecBytes(sq->sq.trained.capacity(), sizeof(float));
    }
    if (auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(&node)) {
      m.heap += vecBytes(sq->sq.trained.capacity(), sizeof(float));
    }
    if (auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(&node)) {
      m.heap += vecBytes(pq->pq.centroids.capacity(), sizeof(float)) +
                vecBytes(pq->precomputed_table.size(), sizeof(float));
    }
    if (auto* pq = dynamic_cast<const faiss::IndexPQ*>(&node)) {
      m.heap += vecBytes(pq->pq.centroids.capacity(), sizeof(float));
    }
    if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(&node)) {
      const faiss::HNSW& g = h->hnsw;
      m.heap += vecBytes(g.neighbors.capacity(), sizeof(faiss::HNSW::storage_idx_t)) +
                vecBytes(g.offsets.capacity(), sizeof(size_t)) + vecBytes(g.levels.capacity(), sizeof(int));
    }
    if (auto* idm = dynamic_cast<const IDMap*>(&node)) {
      m.heap += vecBytes(idm->id_map.capacity(), sizeof(faiss::Index::idx_t));
      if (auto* idm2 = dynamic_cast<const IDMap2*>(&node)) {
        // unordered_map node (key, value, next pointer, cached hash) plus its bucket pointer.
        m.heap += idm2->rev_map.size() * (2 * sizeof(faiss::Index::idx_t) + 2 * sizeof(void*)) +
                  idm2->rev_map.bucket_count() * sizeof(void*);
      }
    }
    if (auto* p = dynamic_cast<const faiss::IndexPreTransform*>(&node)) {
      for (const faiss::VectorTransform* vt : p->chain) {
        if (auto* lt = dynamic_cast<const faiss::LinearTransform*>(vt)) {
          m.heap += vecBytes(lt->A.capacity() + lt->b.capacity(), sizeof(float));
        }
        if (auto* pca = dynamic_cast<const faiss::PCAMatrix*>(vt)) {
          m.heap += vecBytes(pca->mean.capacity() + pca->eigenvalues.capacity() + pca->PCAMat.capacity(), sizeof(float));
        }
      }
    }
  });
  return m;
}

}  // namespace patchline
