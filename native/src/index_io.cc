#include "index_io.h"

#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/invlists/OnDiskInvertedLists.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#ifdef _WIN32
#include <io.h>
#include <process.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

#include "file_path.h"
#include "native_error.h"
#include "index_tree.h"

namespace patchline {

namespace {

std::string sysError(int err) { return std::strerror(err); }

std::string dirOf(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string baseOf(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int processId() {
#ifdef _WIN32
  return _getpid();
#else
  return static_cast<int>(getpid());
#endif
}

// Collects every IVF whose lists are mapped from a file.
void mappedIvfs(faiss::Index* node, std::vector<faiss::IndexIVF*>& out) {
  std::vector<faiss::Index*> stack{node};
  while (!stack.empty()) {
    faiss::Index* cur = stack.back();
    stack.pop_back();
    if (cur == nullptr) continue;
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(cur)) {
      if (dynamic_cast<faiss::OnDiskInvertedLists*>(ivf->invlists) != nullptr) out.push_back(ivf);
      stack.push_back(ivf->quantizer);
    } else if (auto* p = dynamic_cast<faiss::IndexPreTransform*>(cur)) {
      stack.push_back(p->index);
    } else if (auto* m = dynamic_cast<faiss::IndexIDMapTemplate<faiss::Index>*>(cur)) {
      stack.push_back(m->index);
    } else if (auto* r = dynamic_cast<faiss::IndexRefine*>(cur)) {
      stack.push_back(r->base_index);
      stack.push_back(r->refine_index);
    }
  }
}

// While alive, the mapped IVFs of a tree carry in-memory copies of their lists (restored on destruction).
class InlineLists {
 public:
  explicit InlineLists(faiss::Index& root) {
    std::vector<faiss::IndexIVF*> ivfs;
    mappedIvfs(&root, ivfs);
    for (faiss::IndexIVF* ivf : ivfs) {
      auto copy = std::make_unique<faiss::ArrayInvertedLists>(ivf->nlist, ivf->code_size);
      for (size_t l = 0; l < ivf->nlist; l++) {
        size_t m = ivf->invlists->list_size(l);
        if (m == 0) continue;
        faiss::InvertedLists::ScopedCodes codes(ivf->invlists, l);
        faiss::InvertedLists::ScopedIds ids(ivf->invlists, l);
        copy->add_entries(l, m, ids.get(), codes.get());
      }
      swapped_.push_back({ivf, ivf->invlists});
      ivf->invlists = copy.release();
    }
  }
  ~InlineLists() {
    for (auto& [ivf, original] : swapped_) {
      delete ivf->invlists;
      ivf->invlists = original;
    }
  }
  InlineLists(const InlineLists&) = delete;
  InlineLists& operator=(const InlineLists&) = delete;

 private:
  std::vector<std::pair<faiss::IndexIVF*, faiss::InvertedLists*>> swapped_;
};

void syncDirectory(const std::string& dir) {
#ifndef _WIN32
  int fd = ::open(dir.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: some filesystems refuse fsync on directories
    ::close(fd);
  }
#else
  (void)dir;
#endif
}

}  // namespace

std::unique_ptr<faiss::Index> readIndexFile(const std::string& path, bool mmap) {
  fs::PathStat st = fs::stat(path);
  if (!st.exists) {
    if (st.error == ENOENT) throw IoError("index file not found: " + path);
    throw IoError("cannot open index file " + path + ": " + sysError(st.error));
  }
  if (st.directory) throw IoError("index path is a directory, not a file: " + path);
  if (st.size == 0) throw IoError("index file is empty: " + path);

  std::unique_ptr<faiss::Index> index;
  try {
    const int flags = mmap ? faiss::IO_FLAG_MMAP : 0;
#ifdef _WIN32
    // Faiss opens a named file with the narrow fopen: hand it a stream opened through the wide API instead.
    FILE* f = fs::open(path, "rb");
    if (f == nullptr) throw IoError("cannot open index file " + path + ": " + sysError(errno));
    struct Closer {
      FILE* f;
      ~Closer() { std::fclose(f); }
    } closer{f};
    faiss::FileIOReader reader(f);
    index.reset(faiss::read_index(&reader, flags));
#else
    index.reset(faiss::read_index(path.c_str(), flags));
#endif
  } catch (const faiss::FaissException& e) {
    std::string why = describe(e);
    // Faiss's short-read message carries a stale errno; say what it means instead.
    if (why.find("read error in") != std::string::npos) why = "the file ends before the index does";
    throw IoError("cannot read index file " + path + " (truncated, corrupt, or not a Faiss index): " + why);
  } catch (const std::bad_alloc&) {
    throw IoError("cannot read index file " + path + ": it declares sizes larger than available memory (corrupt?)");
  } catch (const std::length_error&) {
    throw IoError("cannot read index file " + path + ": it declares impossible sizes (corrupt?)");
  }
  if (!index) throw IoError("cannot read index file " + path);
  validateTree(*index, path);
  wrapFastStorage(index);
  return index;
}

void writeIndexAtomic(faiss::Index& index, const std::string& path) {
  static std::atomic<unsigned> counter{0};
  std::string dir = dirOf(path);
  std::string tmp = dir + "/." + baseOf(path) + ".tmp-" + std::to_string(processId()) + "-" +
                    std::to_string(counter.fetch_add(1));
  fs::PathStat st = fs::stat(path);
  if (st.exists && st.directory) throw IoError("cannot write index to " + path + ": it is a directory");

  FILE* f = fs::open(tmp, "wb");
  if (f == nullptr) {
    int err = errno;
    throw IoError("cannot write index to " + path + ": " + sysError(err));
  }
  auto fail = [&](const std::string& why) {
    if (f != nullptr) std::fclose(f);
    fs::remove(tmp);
    throw IoError("cannot write index to " + path + ": " + why);
  };
  try {
    InlineLists inlined(index);
    faiss::FileIOWriter writer(f);
    errno = 0;
    faiss::write_index(&index, &writer);
  } catch (const faiss::FaissException& e) {
    // A short fwrite (disk full, file size limit) leaves its errno; Faiss's own message names no file.
    int err = errno;
    std::string why = describe(e);
    fail(why.find("write error") != std::string::npos && err != 0 ? sysError(err) : why);
  } catch (const std::bad_alloc&) {
    fail("out of memory");
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (std::fflush(f) != 0) fail(sysError(errno));
#ifdef _WIN32
  if (_commit(_fileno(f)) != 0) fail(sysError(errno));
#else
  if (::fsync(fileno(f)) != 0) fail(sysError(errno));
#endif
  if (std::fclose(f) != 0) {
    f = nullptr;
    fail(sysError(errno));
  }
  f = nullptr;
  if (!fs::replace(tmp, path)) {
#ifdef _WIN32
    fail("rename failed (error " + std::to_string(GetLastError()) + ")");
#else
    fail(sysError(errno));
#endif
  }
  syncDirectory(dir);
}

}  // namespace patchline
