// A buffered HTTP request and response as the control plane's APIs see them: the server reads the
// whole body (bounded) before a handler runs, so handlers are plain functions of the request.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace causeway::cp {

struct ApiRequest {
  std::string method;
  std::string path;   // decoded? no: as sent, without the query
  std::string query;  // after '?', as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote;  // peer address, for logs

  std::string_view header(std::string_view lower_name) const {
    for (const auto& [n, v] : headers) {
      if (n == lower_name) return v;
    }
    return {};
  }
};

struct ApiResponse {
  ApiResponse() = default;
  ApiResponse(int s, std::string b, std::string type = "application/json; charset=utf-8",
              std::string extra = "")
      : status(s),
        body(std::move(b)),
        content_type(std::move(type)),
        extra_headers(std::move(extra)) {}

  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  std::string extra_headers;  // serialized "Name: value\r\n" lines
};

using ApiHandler = std::function<ApiResponse(const ApiRequest&)>;

}  // namespace causeway::cp
