#include "mesh/http_match.h"

#include <re2/re2.h>

#include "base/strings.h"
#include "http/query.h"

namespace causeway::mesh {
namespace {

using model::mesh::HttpPathMatch;
using model::mesh::HttpValueMatch;

Result<std::shared_ptr<const re2::RE2>> compileRe(const std::string& pattern) {
  re2::RE2::Options opt;
  opt.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern, opt);
  if (!re->ok()) {
    return Status::invalidArgument("bad regular expression '" + pattern + "': " + re->error());
  }
  return re;
}

bool valueMatches(const HttpValueMatch& m, const re2::RE2* re, std::optional<std::string_view> v) {
  switch (m.type) {
    case HttpValueMatch::Type::kPresent:
      return v.has_value();
    case HttpValueMatch::Type::kAbsent:
      return !v.has_value();
    case HttpValueMatch::Type::kExact:
      return v && *v == m.value;
    case HttpValueMatch::Type::kPrefix:
      return v && v->substr(0, m.value.size()) == m.value;
    case HttpValueMatch::Type::kRegularExpression:
      return v && re && re2::RE2::FullMatch(re2::StringPiece(v->data(), v->size()), *re);
  }
  return false;
}

std::optional<std::string_view> headerValue(const http::RequestHead& head, std::string_view name) {
  for (const auto& h : head.headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view targetPath(std::string_view target) {
  if (!target.empty() && target[0] != '/') {  // absolute-form: skip scheme://authority
    size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  size_t q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::optional<std::string_view> queryParam(std::string_view target, std::string_view name) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  return http::queryParam(query.substr(0, query.find('#')), name);
}

CompiledMatch::CompiledMatch() = default;
CompiledMatch::~CompiledMatch() = default;
CompiledMatch::CompiledMatch(CompiledMatch&&) noexcept = default;
CompiledMatch& CompiledMatch::operator=(CompiledMatch&&) noexcept = default;

Result<CompiledMatch> CompiledMatch::compile(const model::mesh::HttpMatch& match) {
  CompiledMatch c;
  c.spec_ = match;
  if (match.path && match.path->type == HttpPathMatch::Type::kRegularExpression) {
    auto re = compileRe(match.path->value);
    if (!re.isOk()) return re.status();
    c.path_re_ = re.value();
  }
  for (auto* list : {&match.headers, &match.query_params}) {
    for (const HttpValueMatch& v : *list) {
      Value cv{v, nullptr};
      if (v.type == HttpValueMatch::Type::kRegularExpression) {
        auto re = compileRe(v.value);
        if (!re.isOk()) return re.status();
        cv.re = re.value();
      }
      (list == &match.headers ? c.headers_ : c.query_).push_back(std::move(cv));
    }
  }
  return c;
}

bool CompiledMatch::matches(const http::RequestHead& head) const {
  if (!spec_.method.empty() && head.method != spec_.method) return false;
  if (spec_.path) {
    std::string_view path = targetPath(head.target);
    const std::string& want = spec_.path->value;
    switch (spec_.path->type) {
      case HttpPathMatch::Type::kExact:
        if (path != want) return false;
        break;
      case HttpPathMatch::Type::kPathPrefix: {
        // "/api" matches "/api" and "/api/x", not "/apix"; a trailing '/' in the prefix is
        // ignored.
        std::string_view prefix = want;
        while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
        if (prefix == "/") break;
        if (path.substr(0, prefix.size()) != prefix) return false;
        if (path.size() > prefix.size() && path[prefix.size()] != '/') return false;
        break;
      }
      case HttpPathMatch::Type::kRegularExpression:
        if (!re2::RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *path_re_)) {
          return false;
        }
        break;
    }
  }
  for (const Value& h : headers_) {
    if (!valueMatches(h.spec, h.re.get(), headerValue(head, h.spec.name))) return false;
  }
  for (const Value& q : query_) {
    if (!valueMatches(q.spec, q.re.get(), queryParam(head.target, q.spec.name))) return false;
  }
  return true;
}

}  // namespace causeway::mesh
