#include "sync/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace causeway::sync {

using Json = nlohmann::json;

std::string snapshotPath(const std::string& data_dir) {
  return data_dir + "/gateway-snapshot.json";
}

Status saveSnapshot(const std::string& data_dir, const SavedSnapshot& snap) {
  if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::ioError("cannot create " + data_dir + ": " + std::strerror(errno));
  }
  std::string text;
  if (!snap.config_text.empty()) {
    text = "{\"revision\":" + std::to_string(snap.revision) +
           ",\"hash\":" + Json(snap.hash).dump() + ",\"config\":" + snap.config_text + "}";
  } else {
    Json doc = {{"revision", snap.revision}, {"hash", snap.hash}, {"config", snap.config}};
    text = doc.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  const std::string path = snapshotPath(data_dir);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::ioError("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::ioError("cannot write " + tmp + ": " + std::strerror(e));
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::ioError("cannot sync " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::ioError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::ok();
}

Result<SavedSnapshot> loadSnapshot(const std::string& data_dir) {
  const std::string path = snapshotPath(data_dir);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::notFound("no saved snapshot at " + path);
    return Status::ioError("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Status::ioError("cannot read " + path);
    }
    if (n == 0) break;
    text.append(buf, size_t(n));
  }
  ::close(fd);
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("config") ||
      !doc["revision"].is_number_integer() || !doc["hash"].is_string()) {
    return Status::invalidArgument("corrupt saved snapshot " + path);
  }
  SavedSnapshot s;
  s.revision = doc["revision"].get<int64_t>();
  s.hash = doc["hash"].get<std::string>();
  s.config = std::move(doc["config"]);
  return s;
}

}  // namespace causeway::sync
