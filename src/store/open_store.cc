#include <sys/stat.h>

#include <filesystem>

#include "base/strings.h"
#include "store/store.h"

namespace causeway::store {

Result<std::unique_ptr<Store>> openStore(const std::string& uri_or_empty,
                                         const std::string& data_dir) {
  if (uri_or_empty.empty()) {
    if (data_dir.empty()) return Status::invalidArgument("store: no data directory");
    std::error_code ec;
    if (std::filesystem::create_directories(data_dir, ec)) {
      ::chmod(data_dir.c_str(), 0700);  // the database holds secrets (keys, credentials)
    } else if (ec) {
      return Status::ioError("store: cannot create " + data_dir + ": " + ec.message());
    }
    struct stat st {};
    if (::stat(data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Status::ioError("store: " + data_dir + " is not a directory");
    }
    return openSqlite(data_dir + "/causeway.db");
  }
  if (startsWith(uri_or_empty, "postgres://") || startsWith(uri_or_empty, "postgresql://")) {
    return openPostgres(uri_or_empty);
  }
  // Only the scheme: the rest may hold a password.
  auto colon = uri_or_empty.find(':');
  std::string scheme = colon == std::string::npos ? "" : uri_or_empty.substr(0, colon);
  return Status::invalidArgument(
      "store: unsupported database URI" + (scheme.empty() ? "" : " scheme \"" + scheme + "\"") +
      ": use postgres:// or postgresql://, or none for SQLite in the data directory");
}

}  // namespace causeway::store
