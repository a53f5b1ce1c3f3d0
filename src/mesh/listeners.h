// The sidecar's connection handlers (proxy::ConnectionHandler) for its inbound and outbound
// ports. Each reads the worker's current SidecarConfig when the connection arrives; the
// connection keeps that config (and its certificates) until it ends.
//  inbound:  TLS per the mesh's mode (STRICT: mTLS only; PERMISSIVE: mTLS when the first byte is
//            a TLS handshake, plaintext otherwise; mTLS off: plaintext), the caller's SPIFFE ID
//            from its verified certificate, then HTTP (permission checked per request, 403) or
//            TCP (permission checked once; a denied connection is closed).
//  outbound: plaintext from the application, HTTP or TCP by the destination's protocol.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>

#include "proxy/worker.h"

namespace causeway::mesh {

// Counters shared by every worker of one sidecar (relaxed atomics: connection events only).
struct ListenerCounters {
  std::atomic<uint64_t> mtls_handshake_failed{0};
  std::atomic<uint64_t> tcp_denied{0};
};

asio::awaitable<void> serveInbound(proxy::Worker& worker, asio::ip::tcp::socket socket,
                                   ListenerCounters* counters);
asio::awaitable<void> serveOutbound(proxy::Worker& worker, asio::ip::tcp::socket socket);

}  // namespace causeway::mesh
