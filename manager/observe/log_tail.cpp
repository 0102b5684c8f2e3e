#include "manager/observe/log_tail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace sm::observe {

namespace {

// An fd closed when it goes out of scope.
struct File {
  int fd;
  explicit File(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~File() {
    if (fd >= 0) ::close(fd);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
};

bool readAt(int fd, std::uint64_t offset, std::size_t size, std::string& out) {
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    const auto n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) return false;
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return true;
}

}  // namespace

std::optional<LogTail> readLogTail(const std::string& path, int lines, std::size_t maxBytes) {
  File file(path);
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) return std::nullopt;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto start = size > maxBytes ? size - maxBytes : 0;
  std::string data;
  if (!readAt(file.fd, start, static_cast<std::size_t>(size - start), data)) return std::nullopt;
  // Walk back over `lines` line ends; one that ends the data closes the last line.
  std::size_t from = data.size();
  if (lines > 0) {
    from = 0;
    std::size_t pos = data.size();
    if (pos > 0 && data[pos - 1] == '\n') --pos;
    for (int count = 0; pos > 0;) {
      const auto nl = data.rfind('\n', pos - 1);
      if (nl == std::string::npos) break;
      if (++count == lines) {
        from = nl + 1;
        break;
      }
      pos = nl;
    }
  }
  // Cut by maxBytes and no line end before it: the partial first line is dropped only if a whole
  // line follows.
  if (start > 0 && from == 0) {
    const auto nl = data.find('\n');
    if (nl != std::string::npos && nl + 1 < data.size()) from = nl + 1;
  }
  return LogTail{data.substr(from), size};
}

std::optional<LogTail> readLogSince(const std::string& path, std::uint64_t offset,
                                    std::size_t maxBytes) {
  File file(path);
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) return std::nullopt;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < offset) offset = 0;  // rotated
  const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(size - offset, maxBytes));
  std::string data;
  if (!readAt(file.fd, offset, length, data)) return std::nullopt;
  return LogTail{std::move(data), offset + length};
}

}  // namespace sm::observe
