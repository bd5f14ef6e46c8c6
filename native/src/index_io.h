// Index files: validated reads (optionally memory-mapped) and atomic writes.
#pragma once

#include <faiss/Index.h>

#include <memory>
#include <string>

namespace patchline {

// Reads with faiss::read_index (IO_FLAG_MMAP when mmap is set), then checks the tree's internal consistency and
// puts the fast Flat storage back. Every failure is a UserError naming the file.
std::unique_ptr<faiss::Index> readIndexFile(const std::string& path, bool mmap);

// Writes to a temporary file in the target's directory, fsyncs it, renames it over `path` and fsyncs the directory:
// readers see the old file or the new one, never a partial one, and a failure leaves the old file untouched.
// Inverted lists mapped from a file are written inline, as an ArrayInvertedLists would be.
void writeIndexAtomic(faiss::Index& index, const std::string& path);

}  // namespace patchline
