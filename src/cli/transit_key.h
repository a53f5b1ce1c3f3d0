// The transit gateway's private key as text and as a file: base64 and perhaps a newline, the
// way `wg genkey > FILE` writes it. File I/O goes through pki/files (0600, atomic, wiped).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "wg/secret.h"

namespace causeway::cli {

// The key in `text`, trailing whitespace ignored; nullopt when it is not one.
std::optional<wg::Key> decodePrivateKeyText(std::string_view text);

// Reads a key file; warns when others may read it.
Result<wg::Key> readPrivateKeyFile(const std::string& path);

// `data_dir`/transit.key, created (0600, in a 0700 directory) with a new key on first use.
Result<wg::Key> loadOrCreatePrivateKey(const std::string& data_dir);

}  // namespace causeway::cli
