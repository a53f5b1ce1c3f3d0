// A reply a server makes itself (an error, a status page) rather than forwarding, and the JSON
// error bodies Kong answers with. Plain values and pure functions.
#pragma once

#include <string>
#include <string_view>

namespace causeway::http {

struct LocalReply {
  int status = 500;
  std::string body;  // JSON unless content_type says otherwise
  std::string content_type = "application/json; charset=utf-8";
  std::string extra_headers;  // serialized "Name: value\r\n" lines
};

// {"message":"..."}
std::string kongErrorBody(std::string_view message);
// Kong's default message for a status code ("Bad request", "Not found", ...).
std::string_view kongDefaultMessage(int status);

}  // namespace causeway::http
