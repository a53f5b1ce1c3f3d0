// Reads one JSON object of the network file field by field, reporting every problem with its
// path ("network.spoke_gateways[1].cidrs[0]: ...") into a shared error list. finish() names the
// keys no reader asked for as unknown fields. Absent and null values both mean "not set".
// Not thread-safe; one loader uses it at a time.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "model/kong/loader.h"
#include "model/network/network.h"

namespace causeway::model::network {

using kong::FieldError;
using kong::LoadError;

std::string indexedPath(const std::string& base, size_t i);  // "a.b" -> "a.b[3]"

class Record {
 public:
  Record(const nlohmann::json& object, std::string path, std::vector<FieldError>& errors);
  Record(const Record&) = delete;
  Record& operator=(const Record&) = delete;

  const std::string& path() const { return path_; }
  std::string pathOf(std::string_view key) const;
  void error(std::string_view key, std::string message);

  // The value of `key`, or nullptr when unset (reporting it when required); marks it known.
  const nlohmann::json* take(std::string_view key, bool required = false);

  bool string(std::string_view key, std::string& out, bool required = false);
  // A resource name: 1..63 of letters, digits, '.', '-', '_', starting with a letter or digit.
  bool name(std::string_view key, std::string& out, bool required = false);
  bool boolean(std::string_view key, bool& out);
  bool integer(std::string_view key, int64_t& out, int64_t lo, int64_t hi);
  // An array of strings, each checked by name() rules when `names`.
  bool stringList(std::string_view key, std::vector<std::string>& out, bool required, bool names);
  // An array of CIDR blocks; bad elements are reported at their index and left out.
  bool cidrList(std::string_view key, std::vector<Cidr>& out, bool required);
  bool cidr(std::string_view key, Cidr& out, bool required = false);
  bool address(std::string_view key, IpAddress& out);
  // "IP:PORT" or "[IPv6]:PORT" with a literal address and a port from 1 to 65535.
  bool endpoint(std::string_view key, Endpoint& out, bool required);
  // A WireGuard public key: 44 characters of base64, not a low-order point.
  bool publicKey(std::string_view key, PublicKey& out, bool required);

  // Reports every key of the object that no reader took as an unknown field.
  void finish();

 private:
  const nlohmann::json& object_;
  std::string path_;
  std::vector<FieldError>& errors_;
  std::vector<std::string> known_;
};

// Checks that `value` is an object (reporting at `path` otherwise).
bool expectObject(const nlohmann::json& value, const std::string& path,
                  std::vector<FieldError>& errors);

// Why `name` is not a valid resource name, nullopt when it is.
std::optional<std::string> nameProblem(std::string_view name);

}  // namespace causeway::model::network
