// `causeway transit`: runs one transit or spoke gateway of the declarative network model
// (--config FILE --name GATEWAY --private-key FILE), and `transit genkey` / `transit pubkey`,
// which write keys the way `wg genkey` / `wg pubkey` do (so either tool's keys work in both).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/transit_cp.h"
#include "cli/transit_key.h"
#include "model/network/loader.h"
#include "model/network/plan.h"
#include "transit/gateway.h"
#include "wg/key_encoding.h"
#include "wg/x25519.h"

namespace causeway::cli {
namespace {

struct TransitFlags {
  std::string config, name, private_key_file;
  transit::GatewayOptions gateway;
  int flow_idle_seconds = 15;
  int flow_active_seconds = 60;
  TransitCpOptions cp;  // --cp mode (transit_cp.h)
};

int runTransit(TransitFlags& f) {
  model::kong::LoadError errors;
  auto network = model::network::loadNetworkFile(f.config, &errors);
  if (!network.isOk()) {
    std::fprintf(
        stderr, "causeway transit: %s: %s\n", f.config.c_str(),
        errors.errors.empty() ? network.status().message().c_str() : errors.message().c_str());
    return 2;
  }
  auto plan = model::network::planGateway(network.value(), f.name);
  if (!plan.isOk()) {
    std::fprintf(stderr, "causeway transit: %s\n", plan.status().message().c_str());
    return 2;
  }
  auto key = readPrivateKeyFile(f.private_key_file);
  if (!key.isOk()) {
    std::fprintf(stderr, "causeway transit: %s\n", key.status().message().c_str());
    return 2;
  }
  // The file names this gateway's public key: a key that does not match would make every
  // peer refuse our handshakes, silently. Say it now.
  const std::optional<wg::PublicKey> pub = wg::publicKeyOf(key.value());
  std::optional<wg::PublicKey> expected;
  for (const auto& t : network->transit_gateways) {
    if (t.name == f.name) expected = t.public_key;
  }
  for (const auto& s : network->spoke_gateways) {
    if (s.name == f.name) expected = s.public_key;
  }
  if (!pub || !expected || *pub != *expected) {
    std::fprintf(stderr,
                 "causeway transit: the private key in %s does not match the public key of %s "
                 "in %s (its public key is %s)\n",
                 f.private_key_file.c_str(), f.name.c_str(), f.config.c_str(),
                 pub ? wg::encodeKey(*pub).c_str() : "?");
    return 2;
  }
  f.gateway.reload = [config = f.config, name = f.name]() -> Result<model::network::GatewayPlan> {
    model::kong::LoadError errors;
    auto network = model::network::loadNetworkFile(config, &errors);
    if (!network.isOk()) {
      return Status::invalidArgument(
          config + ": " + (errors.errors.empty() ? network.status().message() : errors.message()));
    }
    return model::network::planGateway(network.value(), name);
  };
  f.gateway.flows.idle_timeout = std::chrono::seconds(f.flow_idle_seconds);
  f.gateway.flows.active_timeout = std::chrono::seconds(f.flow_active_seconds);
  return transit::runGateway(std::move(plan.value()), key.value(), f.gateway);
}

int runGenkey() {
  wg::SystemEnv env;
  wg::Key key = wg::generatePrivateKey(env);
  std::printf("%s\n", wg::encodeKey(key).c_str());
  return 0;
}

int runPubkey() {
  std::string text;
  std::getline(std::cin, text);
  std::optional<wg::Key> key = decodePrivateKeyText(text);
  std::fill(text.begin(), text.end(), '\0');
  if (!key) {
    std::fprintf(stderr, "causeway transit pubkey: standard input is not a base64 private key\n");
    return 1;
  }
  std::optional<wg::PublicKey> pub = wg::publicKeyOf(*key);
  if (!pub) return 1;
  std::printf("%s\n", wg::encodeKey(*pub).c_str());
  return 0;
}

}  // namespace

Run addTransitCommand(CLI::App& app) {
  auto flags = std::make_shared<TransitFlags>();
  auto* sub = app.add_subcommand(
      "transit",
      "transit network gateway (transit hub or spoke): TUN + WireGuard-protocol tunnels");
  sub->add_option("--config", flags->config, "declarative file with a network: section");
  sub->add_option("--name", flags->name, "the transit or spoke gateway of the file to run");
  sub->add_option("--private-key", flags->private_key_file,
                  "file holding this gateway's private key (transit genkey)");
  sub->add_option("--tun", flags->gateway.tun_name, "TUN device to create")->capture_default_str();
  sub->add_option("--listen", flags->gateway.listen,
                  "UDP address of the tunnels (default 0.0.0.0 and the port of the gateway's "
                  "endpoint)");
  sub->add_option("--status-listen", flags->gateway.status_listen,
                  "status listener (/status /routes /flows /metrics), or off")
      ->capture_default_str();
  sub->add_option("--flow-log", flags->gateway.flow_log,
                  "write flow records as JSON lines to this file (- for standard output)");
  sub->add_option("--flow-idle-timeout", flags->flow_idle_seconds,
                  "seconds without packets after which a flow record is written")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--flow-active-timeout", flags->flow_active_seconds,
                  "seconds after which a long flow's record is written (and counting restarts)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--cp", flags->cp.cp_url,
                  "take the network from a control plane: wss://HOST:PORT[,wss://...] (instead "
                  "of --config and --private-key)");
  sub->add_option("--cluster-cert-dir", flags->cp.cert_dir,
                  "with --cp: ca.crt, dp.crt and dp.key from `causeway cert init`");
  sub->add_option("--data-dir", flags->cp.data_dir,
                  "with --cp: the private key (created on first start), node id and last good "
                  "snapshot");
  auto* genkey = sub->add_subcommand("genkey", "print a new private key (base64), like wg genkey");
  auto* pubkey = sub->add_subcommand(
      "pubkey", "read a private key on standard input, print its public key, like wg pubkey");
  return [sub, genkey, pubkey, flags]() -> int {
    if (genkey->parsed()) return runGenkey();
    if (pubkey->parsed()) return runPubkey();
    if (!flags->cp.cp_url.empty()) {
      if (!flags->config.empty() || !flags->private_key_file.empty() || flags->name.empty() ||
          flags->cp.cert_dir.empty() || flags->cp.data_dir.empty()) {
        std::fprintf(stderr,
                     "causeway transit: --cp needs --name, --cluster-cert-dir and --data-dir "
                     "(and no --config or --private-key)\n");
        return 2;
      }
      flags->cp.name = flags->name;
      flags->gateway.flows.idle_timeout = std::chrono::seconds(flags->flow_idle_seconds);
      flags->gateway.flows.active_timeout = std::chrono::seconds(flags->flow_active_seconds);
      return runTransitFromCp(flags->cp, flags->gateway);
    }
    if (flags->config.empty() || flags->name.empty() || flags->private_key_file.empty()) {
      std::fprintf(stderr, "causeway transit: --config, --name and --private-key are required\n%s",
                   sub->help().c_str());
      return 2;
    }
    return runTransit(*flags);
  };
}

}  // namespace causeway::cli
