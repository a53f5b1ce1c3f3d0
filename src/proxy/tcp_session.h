// One downstream TCP connection proxied to a cluster (a sidecar's TCP services): picks an
// endpoint (connect failures go to the next one, up to the cluster's retries), then copies bytes
// both ways until either side closes or the connection idles past `idle_timeout`. Errors close
// the connection; nothing is answered.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "net/stream.h"
#include "proxy/dispatch.h"
#include "proxy/worker.h"

namespace causeway::proxy {

struct TcpPlan {
  const Cluster* cluster = nullptr;  // owned by `snapshot`'s config
  std::string hash_key;              // consistent hashing (the client's address)
  std::chrono::milliseconds idle_timeout{3600000};
};

asio::awaitable<void> serveTcp(Worker& worker, std::unique_ptr<net::Stream> client, TcpPlan plan,
                               std::shared_ptr<WorkerSnapshot> snapshot);

}  // namespace causeway::proxy
