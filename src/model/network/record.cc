#include "model/network/record.h"

#include <algorithm>
#include <cmath>

#include "base/strings.h"
#include "wg/key_encoding.h"
#include "wg/x25519.h"

namespace causeway::model::network {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxNameLength = 63;

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// A low-order point gives an all-zero shared secret with every private key (RFC 7748 section
// 6.1); WireGuard refuses such a peer during the handshake, so the file refuses it up front.
bool isLowOrder(const PublicKey& key) {
  wg::Key probe;
  for (size_t i = 0; i < wg::Key::kSize; ++i) probe[i] = uint8_t(0x5A + i);
  wg::clampPrivateKey(probe);
  return !wg::dh(probe, key).has_value();
}

}  // namespace

std::string indexedPath(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

std::optional<std::string> nameProblem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxNameLength) return "longer than 63 characters";
  if (!std::all_of(name.begin(), name.end(), isNameChar) || name.front() == '.' ||
      name.front() == '-' || name.front() == '_') {
    return "expected letters, digits, '.', '-' and '_', starting with a letter or digit";
  }
  return std::nullopt;
}

bool expectObject(const Json& value, const std::string& path, std::vector<FieldError>& errors) {
  if (value.is_object()) return true;
  errors.push_back({path, "expected a record"});
  return false;
}

Record::Record(const Json& object, std::string path, std::vector<FieldError>& errors)
    : object_(object), path_(std::move(path)), errors_(errors) {}

std::string Record::pathOf(std::string_view key) const { return path_ + "." + std::string(key); }

void Record::error(std::string_view key, std::string message) {
  errors_.push_back({pathOf(key), std::move(message)});
}

const Json* Record::take(std::string_view key, bool required) {
  known_.emplace_back(key);
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) {
    if (required) error(key, "required field missing");
    return nullptr;
  }
  return &*it;
}

bool Record::string(std::string_view key, std::string& out, bool required) {
  const Json* v = take(key, required);
  if (!v) return false;
  if (!v->is_string()) {
    error(key, "expected a string");
    return false;
  }
  out = v->get<std::string>();
  return true;
}

bool Record::name(std::string_view key, std::string& out, bool required) {
  if (!string(key, out, required)) return false;
  if (auto problem = nameProblem(out)) {
    error(key, "invalid name '" + out + "': " + *problem);
    return false;
  }
  return true;
}

bool Record::boolean(std::string_view key, bool& out) {
  const Json* v = take(key);
  if (!v) return false;
  if (!v->is_boolean()) {
    error(key, "expected a boolean");
    return false;
  }
  out = v->get<bool>();
  return true;
}

bool Record::integer(std::string_view key, int64_t& out, int64_t lo, int64_t hi) {
  const Json* v = take(key);
  if (!v) return false;
  const bool integral =
      v->is_number_integer() || (v->is_number_float() && std::isfinite(v->get<double>()) &&
                                 std::floor(v->get<double>()) == v->get<double>());
  if (!integral) {
    error(key, "expected an integer");
    return false;
  }
  const double value = v->get<double>();  // exact for every value in range
  if (value < double(lo) || value > double(hi)) {
    error(key, "value should be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return false;
  }
  out = int64_t(value);
  return true;
}

bool Record::stringList(std::string_view key, std::vector<std::string>& out, bool required,
                        bool names) {
  const Json* v = take(key, required);
  if (!v) return false;
  if (!v->is_array()) {
    error(key, "expected an array");
    return false;
  }
  if (required && v->empty()) {
    error(key, "must not be empty");
    return false;
  }
  const std::string base = pathOf(key);
  bool ok = true;
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    if (!e.is_string()) {
      errors_.push_back({indexedPath(base, i), "expected a string"});
      ok = false;
      continue;
    }
    std::string s = e.get<std::string>();
    if (names) {
      if (auto problem = nameProblem(s)) {
        errors_.push_back({indexedPath(base, i), "invalid name '" + s + "': " + *problem});
        ok = false;
        continue;
      }
    }
    out.push_back(std::move(s));
  }
  return ok;
}

bool Record::cidrList(std::string_view key, std::vector<Cidr>& out, bool required) {
  std::vector<std::string> texts;
  if (!stringList(key, texts, required, false)) return false;
  bool ok = true;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (auto problem = Cidr::parseError(texts[i])) {
      errors_.push_back({indexedPath(pathOf(key), i), "invalid CIDR: " + *problem});
      ok = false;
      continue;
    }
    out.push_back(*Cidr::parse(texts[i]));
  }
  return ok;
}

bool Record::cidr(std::string_view key, Cidr& out, bool required) {
  std::string text;
  if (!string(key, text, required)) return false;
  if (auto problem = Cidr::parseError(text)) {
    error(key, "invalid CIDR: " + *problem);
    return false;
  }
  out = *Cidr::parse(text);
  return true;
}

bool Record::address(std::string_view key, IpAddress& out) {
  std::string text;
  if (!string(key, text)) return false;
  auto a = IpAddress::parse(text);
  if (!a) {
    error(key, "'" + text + "' is not an IP address");
    return false;
  }
  out = *a;
  return true;
}

bool Record::endpoint(std::string_view key, Endpoint& out, bool required) {
  std::string text;
  if (!string(key, text, required)) return false;
  auto hp = parseHostPort(text);
  auto address = hp ? IpAddress::parse(hp->host) : std::nullopt;
  if (!address || !hp->port || *hp->port == 0) {
    error(key,
          "expected IP:PORT or [IPv6]:PORT with a literal address and a port, got '" + text + "'");
    return false;
  }
  const auto bytes = address->bytes();
  if (std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; })) {
    error(key, "the unspecified address cannot be reached: '" + text + "'");
    return false;
  }
  out = Endpoint{text, *address, *hp->port};
  return true;
}

bool Record::publicKey(std::string_view key, PublicKey& out, bool required) {
  std::string text;
  if (!string(key, text, required)) return false;
  auto decoded = wg::decodePublicKey(text);
  if (!decoded) {
    error(key, "expected a WireGuard public key: 44 characters of base64 (wg pubkey)");
    return false;
  }
  if (isLowOrder(*decoded)) {
    error(key, "not usable as a public key (a low-order point)");
    return false;
  }
  out = *decoded;
  return true;
}

void Record::finish() {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (std::find(known_.begin(), known_.end(), it.key()) == known_.end()) {
      errors_.push_back({pathOf(it.key()), "unknown field"});
    }
  }
}

}  // namespace causeway::model::network
