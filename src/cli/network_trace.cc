#include "cli/network_trace.h"

#include "base/ip.h"
#include "model/kong/loader.h"
#include "model/network/loader.h"
#include "model/network/trace.h"

namespace causeway::cli {
namespace {

constexpr int kAllowed = 0;
constexpr int kRefused = 1;
constexpr int kInvalidInput = 2;

void printText(const model::network::TraceResult& r, std::ostream& out) {
  out << "verdict:  " << r.verdict << "\n";
  out << "hops:     ";
  for (size_t i = 0; i < r.hops.size(); ++i) out << (i ? " -> " : "") << r.hops[i];
  out << (r.hops.empty() ? "(none)\n" : "\n");
  out << "firewall: " << (r.firewall ? *r.firewall : std::string("(none)")) << "\n";
  out << "reason:   " << r.reason << "\n";
}

}  // namespace

int runNetworkTrace(const std::string& config, const std::string& src, const std::string& dst,
                    bool json, std::ostream& out, std::ostream& err) {
  auto src_address = IpAddress::parse(src);
  auto dst_address = IpAddress::parse(dst);
  if (!src_address || !dst_address) {
    err << "error: '" << (src_address ? dst : src) << "' is not an IP address\n";
    return kInvalidInput;
  }
  model::kong::LoadError errors;
  auto network = model::network::loadNetworkFile(config, &errors);
  if (!network) {
    err << "error: " << config << " is not a valid network:\n";
    for (const auto& e : errors.errors) {
      err << "  " << (e.path.empty() ? "" : e.path + ": ") << e.message << "\n";
    }
    return kInvalidInput;
  }
  const auto result = model::network::traceFlow(*network, *src_address, *dst_address);
  if (json) {
    out << model::network::traceJson(result) << "\n";
  } else {
    printText(result, out);
  }
  return result.verdict == "allow" ? kAllowed : kRefused;
}

}  // namespace causeway::cli
