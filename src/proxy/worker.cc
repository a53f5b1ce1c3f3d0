#include "proxy/worker.h"

#include <openssl/ssl.h>

#include <algorithm>

#include "net/tls.h"

namespace causeway::proxy {
namespace {

thread_local Worker* t_worker = nullptr;

// SNI: switch the connection to the certificate the current snapshot serves for that name.
int selectCertificate(SSL* ssl, int*, void*) {
  Worker* w = Worker::current();
  if (!w || !w->snapshot()) return SSL_TLSEXT_ERR_NOACK;
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  SSL_CTX* ctx = w->snapshot()->config().certificateFor(name ? name : "");
  if (ctx) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

asio::ssl::context makeServerBase() {
  asio::ssl::context c(asio::ssl::context::tls_server);
  SSL_CTX* raw = c.native_handle();
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_tlsext_servername_callback(raw, selectCertificate);
  return c;
}

}  // namespace

WorkerSnapshot::WorkerSnapshot(std::shared_ptr<const ProxyConfig> config, size_t worker_index)
    : config_(std::move(config)),
      worker_index_(worker_index),
      balancers_(config_->clusterCount()) {}

LoadBalancer& WorkerSnapshot::balancer(const Cluster& c) {
  auto& lb = balancers_[c.index];
  if (!lb) {
    switch (c.algorithm) {
      case LbAlgorithm::kRoundRobin:
        lb = makeRoundRobin(c.endpoints);
        // Each worker starts its rotation at a different place, so that the first requests
        // of a config spread over the endpoints instead of all going to the first one.
        for (size_t i = 0; i < worker_index_ % std::max<size_t>(1, c.endpoints.size()); ++i) {
          (void)lb->pick({}, {});
        }
        break;
      case LbAlgorithm::kLeastConnections:
        lb = makeLeastConnections(c.endpoints);
        break;
      case LbAlgorithm::kConsistentHashing:
        lb = makeConsistentHashing(c.endpoints, c.slots);
        break;
      case LbAlgorithm::kRandom:
        lb = makeRandom(c.endpoints, worker_index_);
        break;
    }
  }
  return *lb;
}

Worker::Worker(asio::io_context& io, size_t index, const SessionOptions& options,
               const observe::AccessLog* access_log)
    : io_(io),
      index_(index),
      options_(options),
      access_log_(access_log),
      resolver_(std::make_unique<net::Resolver>(io)),
      server_tls_(makeServerBase()),
      client_verify_(net::adoptSslContext(net::makeClientContext(true).get())),
      client_noverify_(net::adoptSslContext(net::makeClientContext(false).get())) {}

void Worker::setConfig(std::shared_ptr<const ProxyConfig> config) {
  snapshot_ = std::make_shared<WorkerSnapshot>(std::move(config), index_);
}

Worker* Worker::current() { return t_worker; }
void Worker::bindToThread() { t_worker = this; }

void Worker::releaseIo() {
  pool_.clear();
  resolver_.reset();
}

}  // namespace causeway::proxy
