#include "sync/protocol.h"

#include <zlib.h>

#include <vector>

namespace causeway::sync {

std::string deflateBytes(std::string_view in) {
  uLongf bound = compressBound(uLong(in.size()));
  std::string out(bound, '\0');
  // Level 1: the snapshot of 10k routes compresses ~10x at a fraction of level 6's time.
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &bound,
                reinterpret_cast<const Bytef*>(in.data()), uLong(in.size()), 1) != Z_OK) {
    return {};
  }
  out.resize(bound);
  return out;
}

Result<std::string> inflateBytes(std::string_view in, size_t max_out) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Status::internal("zlib: inflateInit failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return Status::invalidArgument("corrupt compressed message");
    }
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_out) {
      inflateEnd(&z);
      return Status::invalidArgument("message too large once inflated");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      return Status::invalidArgument("truncated compressed message");
    }
  }
  inflateEnd(&z);
  return out;
}

int compareVersions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) {
    long v = 0;
    size_t i = 0;
    while (i < s.size() && s[i] != '.') {
      if (s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i] - '0');
      ++i;
    }
    s = i < s.size() ? s.substr(i + 1) : std::string_view();
    return v;
  };
  while (!a.empty() || !b.empty()) {
    long x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace causeway::sync
