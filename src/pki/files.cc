#include "pki/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace causeway::pki {
namespace {

constexpr size_t kMaxFileSize = 16 << 20;  // no certificate or key file comes near this

std::string errnoText(int err) { return std::strerror(err); }

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string parentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Makes a rename durable: the directory entry is on disk once this returns.
void syncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

Status writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::ioError(errnoText(errno));
    }
    data.remove_prefix(size_t(n));
  }
  return Status::ok();
}

// Renames without replacing an existing file, atomically where the filesystem supports it.
int renameNoReplace(const char* from, const char* to) {
  if (::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  struct stat st;
  if (::lstat(to, &st) == 0) {
    errno = EEXIST;
    return -1;
  }
  return ::rename(from, to);
}

// Reads a whole file. The buffer grows by copying into a fresh one and wiping the old, so no
// stray copy of a key is left in freed memory.
Status readAll(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::ioError("cannot open " + path + ": " + errnoText(errno));
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return Status::ioError("cannot stat " + path + ": " + errnoText(errno));
  if (!S_ISREG(st.st_mode)) return Status::invalidArgument(path + " is not a regular file");
  if (size_t(st.st_size) > kMaxFileSize) return Status::invalidArgument(path + " is too large");
  std::string buf(size_t(st.st_size) + 1, '\0');
  size_t used = 0;
  for (;;) {
    if (used == buf.size()) {
      if (buf.size() >= kMaxFileSize) {
        wipeString(buf);
        return Status::invalidArgument(path + " is too large");
      }
      std::string bigger(buf.size() * 2, '\0');
      std::memcpy(bigger.data(), buf.data(), used);
      wipeString(buf);
      buf.swap(bigger);
    }
    ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      wipeString(buf);
      return Status::ioError("cannot read " + path + ": " + errnoText(err));
    }
    if (n == 0) break;
    used += size_t(n);
  }
  out.assign(buf.data(), used);  // fits the reserved capacity of a fresh string: one copy
  wipeString(buf);
  return Status::ok();
}

}  // namespace

Status writeFileAtomically(const std::string& path, std::string_view data, uint32_t mode,
                           bool overwrite) {
  std::string dir = parentOf(path);
  std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  std::string temp = dir + "/." + name + ".tmp-XXXXXX";
  // mkostemp creates the file with mode 0600 and O_EXCL; the final mode is set before any byte
  // is written, so the umask never matters and a key is never readable by others.
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) {
    return Status::ioError("cannot create a temporary file in " + dir + ": " + errnoText(errno));
  }
  FdCloser closer(fd);
  auto fail = [&](const std::string& what, int err) {
    ::unlink(temp.c_str());
    return Status::ioError(what + " " + path + ": " + errnoText(err));
  };
  if (::fchmod(fd, mode_t(mode)) != 0) return fail("cannot set the mode of", errno);
  if (Status st = writeAll(fd, data); !st.isOk()) {
    ::unlink(temp.c_str());
    return Status::ioError("cannot write " + path + ": " + st.message());
  }
  if (::fsync(fd) != 0) return fail("cannot sync", errno);
  if (::close(closer.release()) != 0) return fail("cannot write", errno);
  int rc = overwrite ? ::rename(temp.c_str(), path.c_str())
                     : renameNoReplace(temp.c_str(), path.c_str());
  if (rc != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    if (err == EEXIST) return Status::alreadyExists(path + " already exists");
    return Status::ioError("cannot rename a temporary file to " + path + ": " + errnoText(err));
  }
  syncDirectory(dir);
  return Status::ok();
}

Status makePrivateDirectory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return Status::invalidArgument(dir + " exists and is not a directory");
    return Status::ok();
  }
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Status::ioError("cannot create " + parent.string() + ": " + ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0) {
    int err = errno;
    if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::ok();
    return Status::ioError("cannot create " + dir + ": " + errnoText(err));
  }
  // The umask may have cleared owner bits; the directory is still empty, so fixing its mode
  // now exposes nothing.
  if (::chmod(dir.c_str(), 0700) != 0) {
    return Status::ioError("cannot set the mode of " + dir + ": " + errnoText(errno));
  }
  return Status::ok();
}

Result<std::string> readFile(const std::string& path) {
  std::string out;
  if (Status st = readAll(path, out); !st.isOk()) return st;
  return out;
}

Result<SecretString> readSecretFile(const std::string& path) {
  std::string out;
  if (Status st = readAll(path, out); !st.isOk()) return st;
  SecretString secret(out);
  wipeString(out);
  return secret;
}

}  // namespace causeway::pki
