#include "http/local_reply.h"

#include "base/strings.h"

namespace causeway::http {

std::string kongErrorBody(std::string_view message) {
  return "{\"message\":\"" + jsonEscape(message) + "\"}";
}

std::string_view kongDefaultMessage(int status) {
  switch (status) {
    case 400: return "Bad request";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 408: return "Request timeout";
    case 411: return "Length required";
    case 413: return "Request size limit exceeded";
    case 414: return "URI too long";
    case 417: return "Expectation failed";
    case 426: return "Please use HTTPS protocol";
    case 431: return "Request header or cookie too large";
    case 501: return "Not implemented";
    case 502: return "An invalid response was received from the upstream server";
    case 503: return "The upstream server is currently unavailable";
    case 504: return "The upstream server is timed out";
    case 505: return "HTTP version not supported";
    default: return "An unexpected error occurred";
  }
}

}  // namespace causeway::http
