// Opens a connection to one endpoint of a cluster: resolves its host, connects to each address
// until one answers, then does TLS when the cluster asks for it. With mutual TLS (a sidecar's
// outbound: Cluster::tls_context) the upstream's certificate must chain to the cluster's CAs and
// carry Cluster::peer_uri as a URI SAN, or the connection is refused ("tls_peer_identity").
// Shared by the HTTP and TCP sessions.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/stream.h"
#include "proxy/dispatch.h"
#include "proxy/worker.h"

namespace causeway::proxy {

// `arm(stream, timeout)` sets the caller's watchdog on the stream being connected. On failure
// returns null and sets `error` to connect_timeout, connect_refused, connect_error, dns,
// tls_handshake or tls_peer_identity; `timed_out()` says whether the watchdog fired.
asio::awaitable<std::unique_ptr<net::Stream>> connectEndpoint(
    Worker& w, const Cluster& c, const Endpoint& ep,
    const std::function<void(net::Stream*, std::chrono::milliseconds)>& arm,
    const std::function<bool()>& timed_out, std::string& error);

}  // namespace causeway::proxy
