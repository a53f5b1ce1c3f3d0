#include "cli/transit_key.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>

#include "pki/files.h"
#include "pki/secret.h"
#include "wg/env.h"
#include "wg/key_encoding.h"
#include "wg/x25519.h"

namespace causeway::cli {

std::optional<wg::Key> decodePrivateKeyText(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return wg::decodeSecretKey(text);
}

Result<wg::Key> readPrivateKeyFile(const std::string& path) {
  auto text = pki::readSecretFile(path);
  if (!text.isOk()) return Status::ioError("cannot read private key " + path);
  std::optional<wg::Key> key = decodePrivateKeyText(text->view());
  if (!key) return Status::invalidArgument(path + ": not a base64 32-byte private key");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
    spdlog::warn("transit: private key file {} is readable by others (chmod 600 it)", path);
  }
  return std::move(*key);
}

Result<wg::Key> loadOrCreatePrivateKey(const std::string& data_dir) {
  if (Status s = pki::makePrivateDirectory(data_dir); !s.isOk()) return s;
  const std::string path = data_dir + "/transit.key";
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return readPrivateKeyFile(path);
  wg::SystemEnv env;
  wg::Key key = wg::generatePrivateKey(env);
  std::string encoded = wg::encodeKey(key) + "\n";
  const pki::SecretString text(encoded);
  std::fill(encoded.begin(), encoded.end(), '\0');
  if (Status s = pki::writeFileAtomically(path, text.view(), pki::kKeyFileMode, false); !s.isOk()) {
    return s;
  }
  spdlog::info("transit: created a private key in {}", path);
  return key;
}

}  // namespace causeway::cli
