#include "store/libpq.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace causeway::store {
namespace {

LibPq g_pq;
std::string g_error;

template <class Fn>
bool bind(void* lib, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!out) g_error = std::string("libpq.so.5 lacks ") + name;
  return out != nullptr;
}

void load() {
  void* lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = dlerror();
    g_error = std::string(
                  "cannot load libpq.so.5 (the PostgreSQL client library, Debian package "
                  "libpq5): ") +
              (why ? why : "unknown error");
    return;
  }
#define CW_BIND(f) bind(lib, #f, g_pq.f)
  (void)(CW_BIND(PQconninfoParse) && CW_BIND(PQconninfoFree) && CW_BIND(PQfreemem) &&
         CW_BIND(PQconnectdbParams) && CW_BIND(PQstatus) && CW_BIND(PQerrorMessage) &&
         CW_BIND(PQfinish) && CW_BIND(PQsetNoticeProcessor) && CW_BIND(PQexec) &&
         CW_BIND(PQexecParams) && CW_BIND(PQresultStatus) && CW_BIND(PQresultErrorField) &&
         CW_BIND(PQresultErrorMessage) && CW_BIND(PQclear) && CW_BIND(PQntuples) &&
         CW_BIND(PQgetisnull) && CW_BIND(PQgetvalue) && CW_BIND(PQgetlength) &&
         CW_BIND(PQcmdStatus) && CW_BIND(PQtransactionStatus) && CW_BIND(PQnotifies) &&
         CW_BIND(PQsocket) && CW_BIND(PQconsumeInput));
#undef CW_BIND
}

}  // namespace

Result<const LibPq*> loadLibPq() {
  static std::once_flag once;
  std::call_once(once, load);
  if (!g_error.empty()) return Status::unavailable(g_error);
  return &g_pq;
}

const LibPq& pq() { return g_pq; }

}  // namespace causeway::store
