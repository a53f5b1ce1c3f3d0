// MeshHTTPRoute matches compiled for the data path: path (Exact, PathPrefix on segment
// boundaries as Kuma/Gateway API define it, RegularExpression with RE2: a full match, linear
// time), method, headers (Exact, Prefix, RegularExpression, Present, Absent; names case-
// insensitive) and query parameters (Exact, RegularExpression). Every condition of a match must
// hold. Immutable once built; safe to share between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/http1_parser.h"
#include "model/mesh/resources.h"

namespace re2 {
class RE2;
}

namespace causeway::mesh {

class CompiledMatch {
 public:
  // Refuses a regular expression RE2 cannot compile.
  static Result<CompiledMatch> compile(const model::mesh::HttpMatch& match);
  CompiledMatch();
  ~CompiledMatch();
  CompiledMatch(CompiledMatch&&) noexcept;
  CompiledMatch& operator=(CompiledMatch&&) noexcept;

  bool matches(const http::RequestHead& head) const;

 private:
  struct Value {
    model::mesh::HttpValueMatch spec;
    std::shared_ptr<const re2::RE2> re;
  };
  model::mesh::HttpMatch spec_;
  std::shared_ptr<const re2::RE2> path_re_;
  std::vector<Value> headers_;
  std::vector<Value> query_;
};

// The path of a request-target (origin-form; the path of absolute-form), without the query.
std::string_view targetPath(std::string_view target);
// The first value of query parameter `name` in `target`, or nullopt (no percent-decoding).
std::optional<std::string_view> queryParam(std::string_view target, std::string_view name);

}  // namespace causeway::mesh
