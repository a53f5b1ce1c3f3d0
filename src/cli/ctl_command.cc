// `causeway ctl`: the command-line client of the Admin API (apply / diff / dump / get; mesh
// tokens in ctl_mesh.h).
//
// The ctl subcommand takes its arguments unparsed (a CLI11 prefix command) and parses them with
// its own CLI11 app, so that every usage error exits with 2 as documented, whatever the main
// program does with its own parse errors.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/ctl_mesh.h"
#include "cli/network_trace.h"
#include "model/kong/config_diff.h"
#include "model/kong/document.h"
#include "model/kong/loader.h"
#include "model/mesh/loader.h"
#include "model/network/loader.h"
#include "model/network/resources.h"

namespace causeway::cli {
namespace {

using Json = nlohmann::json;

enum ExitCode : int {
  kExitOk = 0,
  kExitDifferences = 1,
  kExitInvalid = 2,
  kExitUnreachable = 3,
  kExitRefused = 4,
  kExitServerError = 5,
};

constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0  success (diff: no differences)\n"
    "  1  diff found differences\n"
    "  2  invalid input or usage (nothing was sent)\n"
    "  3  cannot reach the Admin API (DNS, connection, TLS, timeout, not HTTP)\n"
    "  4  refused by the Admin API (4xx: Kong's message and fields are printed)\n"
    "  5  Admin API server error (5xx or an unexpected answer)\n";

constexpr const char* kDefaultAdminUrl = "http://127.0.0.1:8001";

struct CtlFlags {
  std::string admin_url = kDefaultAdminUrl;
  std::string token;
  std::string ca_cert;
  double timeout_seconds = 60;
  std::string file;
  bool dry_run = false;
  std::string output_file;
  std::string format = "yaml";
  std::string kind;
  std::string name_or_id;
  std::string get_output = "table";
};

void printError(const std::string& message) {
  std::fprintf(stderr, "causeway ctl: %s\n", message.c_str());
}

// ---- JSON -> YAML ------------------------------------------------------------------------------
// A small emitter whose output our own loader reads back to the same JSON: strings are plain only
// when they cannot be read as anything else (null, booleans, numbers, YAML 1.1 words), multi-line
// strings use literal blocks with the chomping that keeps their trailing newlines, and everything
// else is double-quoted with escapes.

bool isPlainSafe(const std::string& s) {
  if (s.empty()) return false;
  const unsigned char first = static_cast<unsigned char>(s[0]);
  if (!(std::isalpha(first) || first == '_' || first == '/')) return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-')) return false;
  }
  std::string lower;
  for (char c : s) lower += char(std::tolower(static_cast<unsigned char>(c)));
  static const std::set<std::string> kWords = {"null", "true", "false", "yes", "no",  "on",
                                               "off",  "y",    "n",     "nan", "inf", "none"};
  return kWords.count(lower) == 0;
}

// Decodes one UTF-8 sequence at s[i]; returns its length (0 if invalid) and the code point.
size_t decodeUtf8(const std::string& s, size_t i, uint32_t& cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < len; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 0x2) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  const uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < minimum[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

// YAML's printable set, minus line breaks other than LF.
bool isYamlPrintable(uint32_t cp) {
  if (cp == '\n') return true;
  if (cp < 0x20 || cp == 0x7f) return false;
  if (cp >= 0x80 && cp <= 0xa0) return cp == 0xa0;  // C1 controls (and NEL) are escaped
  if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff) return false;
  return true;
}

std::string doubleQuoted(const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t len = decodeUtf8(s, i, cp);
    if (len == 0) {  // not UTF-8 (JSON strings are): keep the byte's value
      const unsigned char c = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      ++i;
      continue;
    }
    if (cp == '"') {
      out += "\\\"";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (!isYamlPrintable(cp)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, cp <= 0xff ? "\\x%02x" : "\\u%04x", unsigned(cp));
      out += buf;
    } else {
      out.append(s, i, len);
    }
    i += len;
  }
  out += '"';
  return out;
}

// A multi-line string every line of which can sit in a literal block as is.
bool fitsLiteralBlock(const std::string& s) {
  if (s.find('\n') == std::string::npos || s.front() == ' ' || s.front() == '\n') return false;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t len = decodeUtf8(s, i, cp);
    if (len == 0 || !isYamlPrintable(cp)) return false;
    if (cp == '\n' && i + 1 < s.size() && (s[i + 1] == ' ' || s[i + 1] == '\t')) return false;
    i += len;
  }
  return true;
}

void appendLiteralBlock(std::string& out, const std::string& s, int indent) {
  size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  out += trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n";
  const std::string pad(size_t(indent), ' ');
  std::string_view rest(s);
  if (trailing == 1) rest.remove_suffix(1);
  while (true) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (!line.empty()) out.append(pad).append(line);
    out += '\n';
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
    if (rest.empty()) break;
  }
}

bool isScalarLike(const Json& v) { return !(v.is_object() || v.is_array()) || v.empty(); }

std::string scalarText(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return isPlainSafe(s) ? s : doubleQuoted(s);
  }
  return v.is_array() ? "[]" : "{}";
}

void appendScalar(std::string& out, const Json& v, int blockIndent) {
  if (v.is_string() && fitsLiteralBlock(v.get_ref<const std::string&>())) {
    appendLiteralBlock(out, v.get_ref<const std::string&>(), blockIndent);
  } else {
    out += scalarText(v);
    out += '\n';
  }
}

void appendMapping(std::string& out, const Json& obj, int indent, bool firstOnCurrentLine);
void appendSequence(std::string& out, const Json& arr, int indent);

void appendAfterKey(std::string& out, const Json& v, int indent) {
  if (isScalarLike(v)) {
    out += ' ';
    appendScalar(out, v, indent + 2);
  } else if (v.is_object()) {
    out += '\n';
    appendMapping(out, v, indent + 2, false);
  } else {
    out += '\n';
    appendSequence(out, v, indent);
  }
}

void appendMapping(std::string& out, const Json& obj, int indent, bool firstOnCurrentLine) {
  bool first = true;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!(first && firstOnCurrentLine)) out.append(size_t(indent), ' ');
    first = false;
    out += isPlainSafe(it.key()) ? it.key() : doubleQuoted(it.key());
    out += ':';
    appendAfterKey(out, it.value(), indent);
  }
}

void appendSequence(std::string& out, const Json& arr, int indent) {
  for (const auto& item : arr) {
    out.append(size_t(indent), ' ');
    out += '-';
    if (isScalarLike(item)) {
      out += ' ';
      appendScalar(out, item, indent + 2);
    } else if (item.is_object()) {
      out += ' ';
      appendMapping(out, item, indent + 2, true);
    } else {
      out += '\n';
      appendSequence(out, item, indent + 2);
    }
  }
}

std::string toYaml(const Json& root) {
  std::string out;
  if (root.is_object() && !root.empty()) {
    appendMapping(out, root, 0, false);
  } else if (root.is_array() && !root.empty()) {
    appendSequence(out, root, 0);
  } else {
    out = scalarText(root) + "\n";
  }
  return out;
}

// ---- Admin API responses -----------------------------------------------------------------------

// Kong's "fields" object as "path: message" lines.
void collectFieldErrors(const Json& v, const std::string& path, std::vector<std::string>& out) {
  if (v.is_string()) {
    out.push_back((path.empty() ? "" : path + ": ") + v.get<std::string>());
  } else if (v.is_array()) {
    bool allStrings = std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); });
    for (size_t i = 0; i < v.size(); ++i) {
      collectFieldErrors(v[i], allStrings ? path : path + "[" + std::to_string(i) + "]", out);
    }
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& k = it.key();
      const bool index = !k.empty() && std::all_of(k.begin(), k.end(), ::isdigit);
      collectFieldErrors(it.value(),
                         index          ? path + "[" + k + "]"
                         : path.empty() ? k
                                        : path + "." + k,
                         out);
    }
  } else if (!v.is_null()) {
    out.push_back((path.empty() ? "" : path + ": ") + v.dump());
  }
}

std::string bodyExcerpt(const std::string& body) {
  std::string s = body.substr(0, 500);
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s + (body.size() > 500 ? "..." : "");
}

class Ctl {
 public:
  explicit Ctl(CtlFlags flags) : f_(std::move(flags)) {}

  int apply(bool diffOnly) {
    std::string text;
    if (int rc = readFile(text); rc != kExitOk) return rc;
    std::vector<Json> kuma_docs;
    if (isKumaStream(text, kuma_docs)) return applyKuma(text, kuma_docs, diffOnly);
    if (int rc = validate(text); rc != kExitOk) return rc;
    const bool dryRun = diffOnly || f_.dry_run;
    if (int rc = connect(); rc != kExitOk) return rc;
    const std::string type = looksLikeJson(text) ? "application/json" : "application/yaml";
    auto r = client_->request("POST", dryRun ? "/config?dry_run=true" : "/config", text, type);
    if (int rc = check(r, "the config"); rc != kExitOk) return rc;
    Json j = Json::parse(r->body, nullptr, false);
    auto plan = model::kong::ConfigPlan::fromJson(j);
    if (j.is_discarded() || !plan.isOk()) {
      printError("unexpected answer from the Admin API to POST /config: " +
                 (j.is_discarded() ? bodyExcerpt(r->body) : plan.status().message()));
      return kExitServerError;
    }
    for (const auto& line : plan->describe()) std::printf("%s\n", line.c_str());
    std::string summary = plan->summary();
    if (dryRun && !diffOnly && !plan->empty()) summary += " (dry run: nothing was changed)";
    std::printf("%s\n", summary.c_str());
    std::fflush(stdout);
    return diffOnly && !plan->empty() ? kExitDifferences : kExitOk;
  }

  int dump() {
    if (int rc = connect(); rc != kExitOk) return rc;
    auto r = client_->request("GET", "/config");
    if (int rc = check(r, "the config"); rc != kExitOk) return rc;
    Json j = Json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      printError("unexpected answer from the Admin API to GET /config: " + bodyExcerpt(r->body));
      return kExitServerError;
    }
    const std::string out = f_.format == "json" ? j.dump(2) + "\n" : toYaml(j);
    if (f_.output_file.empty() || f_.output_file == "-") {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      return kExitOk;
    }
    return writeFile(f_.output_file, out);
  }

  int get() {
    const auto& k = f_.kind;
    if (k.empty() || !std::all_of(k.begin(), k.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || c == '_' || c == '-';
        })) {
      printError("invalid kind '" + k +
                 "' (e.g. services, routes, upstreams, targets, "
                 "certificates, snis, consumers, plugins)");
      return kExitInvalid;
    }
    if (int rc = connect(); rc != kExitOk) return rc;
    std::vector<Json> rows;
    if (!f_.name_or_id.empty()) {
      auto r = client_->request("GET", "/" + k + "/" + encodePathSegment(f_.name_or_id));
      if (int rc = check(r, k + " '" + f_.name_or_id + "'"); rc != kExitOk) return rc;
      Json j = Json::parse(r->body, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        printError("unexpected answer from the Admin API: " + bodyExcerpt(r->body));
        return kExitServerError;
      }
      if (f_.get_output == "json") {
        std::printf("%s\n", j.dump(2).c_str());
        return kExitOk;
      }
      rows.push_back(std::move(j));
    } else {
      std::string next = "/" + k + "?size=1000";
      std::set<std::string> seen;
      while (!next.empty()) {
        if (!seen.insert(next).second) {
          printError("the Admin API's pagination loops at " + next);
          return kExitServerError;
        }
        auto r = client_->request("GET", next);
        if (int rc = check(r, k); rc != kExitOk) return rc;
        Json j = Json::parse(r->body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_array()) {
          printError("unexpected answer from the Admin API to GET " + next + ": " +
                     bodyExcerpt(r->body));
          return kExitServerError;
        }
        for (auto& e : j["data"]) rows.push_back(std::move(e));
        next.clear();
        if (auto n = j.find("next"); n != j.end() && n->is_string()) next = nextTarget(*n);
        if (std::any_of(next.begin(), next.end(),
                        [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
          printError("unexpected 'next' in the Admin API's answer to GET /" + k);
          return kExitServerError;
        }
      }
      if (f_.get_output == "json") {
        std::printf("%s\n", Json(rows).dump(2).c_str());
        return kExitOk;
      }
    }
    printTable(rows);
    return kExitOk;
  }

 private:
  int connect() {
    AdminClientOptions o;
    o.url = f_.admin_url;
    o.token = f_.token;
    if (o.token.empty()) {
      if (const char* env = std::getenv("CAUSEWAY_ADMIN_TOKEN")) o.token = env;
    }
    o.ca_cert_file = f_.ca_cert;
    o.timeout = std::chrono::milliseconds(int64_t(std::min(f_.timeout_seconds, 1e6) * 1000));
    auto c = AdminClient::create(std::move(o));
    if (!c.isOk()) {
      printError(c.status().message());
      return kExitInvalid;
    }
    client_ = std::move(c.value());
    return kExitOk;
  }

  // The exit code for a response: 0 for a 2xx, else prints why.
  int check(const Result<AdminResponse>& r, const std::string& what) {
    if (!r.isOk()) {
      // The transport's messages name the URL.
      printError("cannot reach the Admin API: " + r.status().message());
      return kExitUnreachable;
    }
    const int status = r->status;
    if (status >= 200 && status < 300) return kExitOk;
    const Json j = Json::parse(r->body, nullptr, false);
    std::string message;
    std::vector<std::string> fields;
    if (!j.is_discarded() && j.is_object()) {
      if (auto m = j.find("message"); m != j.end()) {
        message = m->is_string() ? m->get<std::string>() : m->dump();
      }
      if (auto fl = j.find("fields"); fl != j.end()) collectFieldErrors(*fl, "", fields);
    } else if (!r->body.empty()) {
      message = bodyExcerpt(r->body);
    }
    const bool client = status >= 400 && status < 500;
    std::string line = (client ? "the Admin API refused " : "the Admin API failed on ") + what +
                       " (HTTP " + std::to_string(status) + ")";
    if (!message.empty()) line += ": " + message;
    printError(line);
    for (const auto& f : fields) std::fprintf(stderr, "  %s\n", f.c_str());
    return client ? kExitRefused : kExitServerError;
  }

  int readFile(std::string& text) {
    if (f_.file.empty()) {
      printError("a declarative config file is required: -f FILE");
      return kExitInvalid;
    }
    std::ifstream in(f_.file, std::ios::binary);
    std::ostringstream s;
    if (in) s << in.rdbuf();
    if (!in || in.bad()) {
      printError("cannot read '" + f_.file + "': " + std::strerror(errno));
      return kExitInvalid;
    }
    text = s.str();
    return kExitOk;
  }

  // A Kuma Universal stream: some document has a top-level `type` key (Kong and network files
  // never do). `docs` receives every document that parses, in order.
  static bool isKumaStream(const std::string& text, std::vector<Json>& docs) {
    bool kuma = false;
    for (std::string_view doc : model::mesh::splitYamlDocuments(text)) {
      Json j;
      std::string problem;
      if (!model::kong::parseDocument(doc, j, problem)) continue;
      if (j.is_object() && j.contains("type")) kuma = true;
      docs.push_back(std::move(j));
    }
    return kuma;
  }

  // Validates the whole stream locally, then PUTs each resource (meshes first, then file order).
  int applyKuma(const std::string& text, const std::vector<Json>& docs, bool diffOnly) {
    model::kong::LoadError errors;
    auto loaded = model::mesh::loadMeshResources(text, &errors);
    if (!loaded.isOk()) {
      if (errors.errors.empty()) errors.errors.push_back({"", loaded.status().message()});
      printError(f_.file + " holds invalid Kuma resources (" +
                 std::to_string(errors.errors.size()) +
                 (errors.errors.size() == 1 ? " error" : " errors") + "; nothing was sent):");
      for (const auto& e : errors.errors) {
        std::fprintf(stderr, "  %s%s\n", e.path.empty() ? "" : (e.path + ": ").c_str(),
                     e.message.c_str());
      }
      return kExitInvalid;
    }
    if (diffOnly || f_.dry_run) {
      printError("diff and --dry-run do not support Kuma resources yet (nothing was sent)");
      return kExitInvalid;
    }
    if (int rc = connect(); rc != kExitOk) return rc;
    std::vector<const Json*> ordered;
    for (const auto& d : docs) {
      if (d.is_object() && d.value("type", "") == "Mesh") ordered.push_back(&d);
    }
    for (const auto& d : docs) {
      if (d.is_object() && d.value("type", "") != "Mesh") ordered.push_back(&d);
    }
    for (const Json* d : ordered) {
      const std::string type = d->value("type", "");
      const std::string name = d->value("name", "");
      const std::string mesh = d->value("mesh", std::string(model::mesh::kDefaultMesh));
      std::string target = "/meshes/" + encodePathSegment(type == "Mesh" ? name : mesh);
      std::string label = type + " " + (type == "Mesh" ? name : mesh + "/" + name);
      if (type != "Mesh") {
        auto plural = model::mesh::pluralOfType(type);
        if (!plural) continue;  // refused by the validation above
        target += "/" + std::string(*plural) + "/" + encodePathSegment(name);
      }
      auto r = client_->request("PUT", target, d->dump(), "application/json");
      if (int rc = checkKuma(r, label); rc != kExitOk) return rc;
      std::printf("%s %s\n", r->status == 201 ? "created" : "updated", label.c_str());
      std::fflush(stdout);
    }
    return kExitOk;
  }

  // Like check(), for Kuma's error bodies ({"title", "details", "invalid_parameters"}).
  int checkKuma(const Result<AdminResponse>& r, const std::string& what) {
    if (!r.isOk() || (r->status >= 200 && r->status < 300)) return check(r, what);
    const Json j = Json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("title")) return check(r, what);
    const bool client = r->status >= 400 && r->status < 500;
    std::string line = (client ? "the Admin API refused " : "the Admin API failed on ") + what +
                       " (HTTP " + std::to_string(r->status) + "): " + j.value("title", "");
    if (j.contains("details") && j["details"].is_string())
      line += ": " + j["details"].get<std::string>();
    printError(line);
    for (const auto& p : j.value("invalid_parameters", Json::array())) {
      if (!p.is_object()) continue;
      std::fprintf(stderr, "  %s: %s\n", p.value("field", "").c_str(),
                   p.value("reason", "").c_str());
    }
    return client ? kExitRefused : kExitServerError;
  }

  int validate(const std::string& text) {
    // Kong entities and/or a network: section (model/network/resources.h); the network is
    // checked on its own here, and as the whole network it makes (registered keys) by the CP.
    std::vector<model::kong::FieldError> errors;
    auto parts = model::network::splitDocument(text);
    if (!parts.isOk() || parts->has_kong) {
      auto loaded = model::kong::loadDeclarative(parts.isOk() ? parts->kong_text : text);
      if (!loaded.isOk()) errors = loaded.error().errors;
    }
    if (parts.isOk() && parts->has_network) {
      model::kong::LoadError network_errors;
      model::network::LoadOptions options;
      options.require_keys = false;
      auto net = model::network::loadNetworkJson(nlohmann::json{{"network", parts->network}},
                                                 &network_errors, options);
      if (!net.isOk()) {
        if (network_errors.errors.empty()) {
          network_errors.errors.push_back({"network", net.status().message()});
        }
        errors.insert(errors.end(), network_errors.errors.begin(), network_errors.errors.end());
      }
    }
    if (!errors.empty()) {
      printError(f_.file + " is not a valid declarative config (" + std::to_string(errors.size()) +
                 (errors.size() == 1 ? " error" : " errors") + "; nothing was sent):");
      for (const auto& e : errors) {
        std::fprintf(stderr, "  %s%s\n", e.path.empty() ? "" : (e.path + ": ").c_str(),
                     e.message.c_str());
      }
      return kExitInvalid;
    }
    return kExitOk;
  }

  static bool looksLikeJson(const std::string& text) {
    size_t i = 0;
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    return i < text.size() && text[i] == '{';
  }

  // Kong's `next` is a path ("/services?offset=..."); an absolute URL is reduced to its path.
  static std::string nextTarget(const std::string& next) {
    if (next.empty()) return {};
    const size_t scheme = next.find("://");
    if (scheme == std::string::npos) return next;
    const size_t path = next.find('/', scheme + 3);
    return path == std::string::npos ? "/" : next.substr(path);
  }

  static int writeFile(const std::string& path, const std::string& data) {
    // The dump holds private keys: readable by the owner only.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      printError("cannot write '" + path + "': " + std::strerror(errno));
      return kExitInvalid;
    }
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        printError("cannot write '" + path + "': " + std::strerror(errno));
        ::close(fd);
        return kExitInvalid;
      }
      off += size_t(n);
    }
    if (::close(fd) != 0) {
      printError("cannot write '" + path + "': " + std::strerror(errno));
      return kExitInvalid;
    }
    std::fprintf(stderr, "causeway ctl: config written to %s\n", path.c_str());
    return kExitOk;
  }

  static std::string cell(const Json& v) {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number()) return v.dump();
    if (v.is_object()) {
      if (auto id = v.find("id"); id != v.end() && id->is_string() && v.size() == 1) {
        return id->get<std::string>();
      }
      return v.dump();
    }
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : ",") + cell(e);
    return out.empty() ? "-" : out;
  }

  void printTable(const std::vector<Json>& rows) const {
    static const std::map<std::string, std::vector<std::string>, std::less<>> kColumns = {
        {"services", {"id", "name", "protocol", "host", "port", "path", "enabled"}},
        {"routes", {"id", "name", "service", "protocols", "methods", "hosts", "paths"}},
        {"upstreams", {"id", "name", "algorithm", "slots"}},
        {"targets", {"id", "target", "upstream", "weight"}},
        {"certificates", {"id", "snis", "tags"}},
        {"snis", {"id", "name", "certificate"}},
        {"consumers", {"id", "username", "custom_id"}},
        {"plugins", {"id", "name", "enabled", "service", "route", "consumer"}},
    };
    auto known = kColumns.find(f_.kind);
    const std::vector<std::string> columns =
        known != kColumns.end() ? known->second : std::vector<std::string>{"id", "name", "tags"};
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> header;
    for (const auto& c : columns) {
      std::string h = c;
      for (auto& ch : h) ch = char(std::toupper(static_cast<unsigned char>(ch)));
      header.push_back(std::move(h));
    }
    table.push_back(std::move(header));
    for (const auto& r : rows) {
      std::vector<std::string> line;
      for (const auto& c : columns) {
        auto it = r.is_object() ? r.find(c) : r.end();
        line.push_back(r.is_object() && it != r.end() ? cell(*it) : "-");
      }
      table.push_back(std::move(line));
    }
    std::vector<size_t> width(columns.size(), 0);
    for (const auto& line : table) {
      for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    }
    for (const auto& line : table) {
      std::string out;
      for (size_t i = 0; i < line.size(); ++i) {
        out += line[i];
        if (i + 1 < line.size()) out.append(width[i] - line[i].size() + 2, ' ');
      }
      std::printf("%s\n", out.c_str());
    }
    std::fflush(stdout);
  }

  CtlFlags f_;
  std::unique_ptr<AdminClient> client_;
};

int runCtl(std::vector<std::string> args) {
  std::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2)
  CtlFlags f;
  CLI::App app{
      "Client of the Admin API of a causeway control plane (Kong-compatible): apply a "
      "declarative config, show the differences, dump it, list entities.",
      "causeway ctl"};
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--admin-url", f.admin_url, "Admin API URL (http:// or https://)")
      ->capture_default_str();
  app.add_option("--token", f.token,
                 "Admin API token, sent as 'Authorization: Bearer ...' (default: the "
                 "CAUSEWAY_ADMIN_TOKEN environment variable)");
  app.add_option("--ca-cert", f.ca_cert,
                 "PEM file of the CA that signed the Admin API's certificate (https; default: "
                 "the system trust store)")
      ->check(CLI::ExistingFile);
  app.add_option("--timeout", f.timeout_seconds, "seconds allowed for each request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  auto* apply = app.add_subcommand("apply",
                                   "make the stored config equal a declarative file "
                                   "(validated locally first; one transaction)");
  apply
      ->add_option("-f,--file", f.file,
                   "Kong declarative config and/or a network: section (YAML or JSON), or a "
                   "Kuma Universal YAML stream (documents with `type:`, each PUT in turn)")
      ->required();
  apply->add_flag("--dry-run", f.dry_run, "show what would change without changing anything");
  apply->footer(kExitCodesHelp);

  auto* diff = app.add_subcommand("diff",
                                  "show what `apply` would change; exit 1 when the file "
                                  "and the stored config differ");
  diff->add_option("-f,--file", f.file, "Kong declarative config (YAML or JSON)")->required();
  diff->footer(kExitCodesHelp);

  auto* dump = app.add_subcommand("dump",
                                  "write the stored config as a declarative file (it "
                                  "holds private keys: -o files are created mode 0600)");
  dump->add_option("-o,--output", f.output_file, "file to write (default: standard output)");
  dump->add_option("--format", f.format, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  dump->footer(kExitCodesHelp);

  auto* get = app.add_subcommand("get", "list the entities of a kind, or show one");
  get->add_option("kind", f.kind,
                  "services, routes, upstreams, targets, certificates, snis, consumers, plugins")
      ->required();
  get->add_option("name_or_id", f.name_or_id, "one entity, by id or by name");
  get->add_option("-o,--output", f.get_output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  get->footer(kExitCodesHelp);

  auto* network = app.add_subcommand("network", "the transit network's model (no Admin API)");
  network->require_subcommand(1);
  auto* trace = network->add_subcommand(
      "trace", "explain a flow from the declarative network model alone: verdict, hops, firewall");
  std::string trace_config, trace_src, trace_dst;
  bool trace_json = false;
  trace->add_option("--config", trace_config, "declarative file with a network: section")
      ->required();
  trace->add_option("src", trace_src, "source IP address")->required();
  trace->add_option("dst", trace_dst, "destination IP address")->required();
  trace->add_flag("--json", trace_json,
                  "print {\"verdict\",\"hops\",\"firewall\",\"reason\"} as JSON");
  trace->footer("Exit codes: 0 allow, 1 deny or no route, 2 invalid input.");

  CtlMeshCommands mesh(app);

  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    printError(e.what());
    std::fprintf(stderr, "Run 'causeway ctl --help' for usage.\n");
    return kExitInvalid;
  }

  if (trace->parsed()) {
    return runNetworkTrace(trace_config, trace_src, trace_dst, trace_json, std::cout, std::cerr);
  }
  if (mesh.parsed()) {
    AdminClientOptions o;
    o.url = f.admin_url;
    o.token = f.token;
    if (const char* env = std::getenv("CAUSEWAY_ADMIN_TOKEN"); o.token.empty() && env)
      o.token = env;
    o.ca_cert_file = f.ca_cert;
    o.timeout = std::chrono::milliseconds(int64_t(std::min(f.timeout_seconds, 1e6) * 1000));
    return mesh.run(o);
  }
  Ctl ctl(f);
  if (apply->parsed()) return ctl.apply(/*diffOnly=*/false);
  if (diff->parsed()) return ctl.apply(/*diffOnly=*/true);
  if (dump->parsed()) return ctl.dump();
  if (get->parsed()) return ctl.get();
  return kExitInvalid;
}

}  // namespace

Run addCtlCommand(CLI::App& app) {
  auto* sub = app.add_subcommand("ctl",
                                 "client of the Admin API: apply, diff, dump, get; mesh token; "
                                 "network trace (causeway ctl --help)");
  sub->prefix_command();  // every argument goes to runCtl's own parser
  sub->set_help_flag();   // so does --help
  return [sub] { return runCtl(sub->remaining()); };
}

}  // namespace causeway::cli
