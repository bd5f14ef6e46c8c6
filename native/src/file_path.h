// File-system calls on paths that arrive from JS as UTF-8. POSIX takes such paths as they are; Windows' narrow CRT
// and A-suffixed API read them in the ANSI code page, so a model folder named in Chinese (检测 line/…) would not open
// there: on Windows every call goes through the wide API instead.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#ifdef _WIN32
#include <windows.h>
#endif

namespace patchline {
namespace fs {

struct PathStat {
  bool exists;
  int error;  // errno when !exists
  bool directory;
  long long size;
};

#ifdef _WIN32
inline std::wstring wide(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return std::wstring();  // not UTF-8: the call below fails with ENOENT and names the path
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), &out[0], n);
  return out;
}

inline FILE* open(const std::string& path, const char* mode) {
  std::wstring m(mode, mode + std::strlen(mode));
  return _wfopen(wide(path).c_str(), m.c_str());
}

inline PathStat stat(const std::string& path) {
  struct _stat64 st {};
  if (_wstat64(wide(path).c_str(), &st) != 0) return {false, errno, false, 0};
  return {true, 0, (st.st_mode & _S_IFDIR) != 0, static_cast<long long>(st.st_size)};
}

inline int remove(const std::string& path) { return _wremove(wide(path).c_str()); }

/** Replaces `to` with `from` (durably where the OS can); false with errno-like detail left to GetLastError. */
inline bool replace(const std::string& from, const std::string& to) {
  return MoveFileExW(wide(from).c_str(), wide(to).c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) != 0;
}
#else
inline FILE* open(const std::string& path, const char* mode) { return std::fopen(path.c_str(), mode); }

inline PathStat stat(const std::string& path) {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0) return {false, errno, false, 0};
  return {true, 0, S_ISDIR(st.st_mode), static_cast<long long>(st.st_size)};
}

inline int remove(const std::string& path) { return std::remove(path.c_str()); }

inline bool replace(const std::string& from, const std::string& to) { return std::rename(from.c_str(), to.c_str()) == 0; }
#endif

}  // namespace fs
}  // namespace patchline
