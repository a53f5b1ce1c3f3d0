#include "cli/ctl_mesh.h"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pki/jwt.h"

namespace causeway::cli {
namespace {

using Json = nlohmann::json;

enum ExitCode : int { kOk = 0, kInvalid = 2, kUnreachable = 3, kRefused = 4, kServerError = 5 };

void printError(const std::string& message) {
  std::fprintf(stderr, "causeway ctl: %s\n", message.c_str());
}

// The exit code for an answer, printing Kuma's or Kong's error when it is not a 2xx.
int check(const Result<AdminResponse>& r, const std::string& what) {
  if (!r.isOk()) {
    printError("cannot reach the Admin API: " + r.status().message());
    return kUnreachable;
  }
  if (r->status >= 200 && r->status < 300) return kOk;
  const bool client = r->status >= 400 && r->status < 500;
  std::string line = (client ? "the Admin API refused " : "the Admin API failed on ") + what +
                     " (HTTP " + std::to_string(r->status) + ")";
  const Json j = Json::parse(r->body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("title") && j["title"].is_string()) line += ": " + j["title"].get<std::string>();
    if (j.contains("details") && j["details"].is_string()) {
      line += ": " + j["details"].get<std::string>();
    }
    if (j.contains("message") && j["message"].is_string()) {
      line += ": " + j["message"].get<std::string>();
    }
  }
  printError(line);
  if (j.is_object()) {
    for (const auto& p : j.value("invalid_parameters", Json::array())) {
      if (p.is_object()) {
        std::fprintf(stderr, "  %s: %s\n", p.value("field", "").c_str(),
                     p.value("reason", "").c_str());
      }
    }
  }
  return client ? kRefused : kServerError;
}

Result<std::unique_ptr<AdminClient>> connect(const AdminClientOptions& admin) {
  return AdminClient::create(admin);
}

}  // namespace

struct CtlMeshCommands::Flags {
  std::string mesh = "default";
  std::vector<std::string> services;
  std::string name;
  std::string valid_for = "24h";
  std::string revoke_mesh = "default";
  std::string jti;
  std::string token;
  std::string token_file;
};

CtlMeshCommands::CtlMeshCommands(CLI::App& ctl) : flags_(std::make_shared<Flags>()) {
  Flags& f = *flags_;
  mesh_ = ctl.add_subcommand("mesh", "the service mesh: dataplane tokens");
  mesh_->require_subcommand(1);
  token_ = mesh_->add_subcommand(
      "token", "print a dataplane token for sidecars of a mesh (Kuma's POST /tokens/dataplane)");
  token_->add_option("--mesh", f.mesh, "the mesh")->capture_default_str();
  token_->add_option("--service", f.services,
                     "a kuma.io/service the sidecar may serve (repeat for several)");
  token_->add_option("--name", f.name, "bind the token to one Dataplane name");
  token_->add_option("--valid-for", f.valid_for, "validity, like 24h or 30d")
      ->capture_default_str();
  revoke_ = token_->add_subcommand("revoke", "revoke a token by its id (jti)");
  revoke_->add_option("--mesh", f.revoke_mesh, "the token's mesh")->capture_default_str();
  revoke_->add_option("--id", f.jti, "the token's id (`ctl mesh token inspect` prints it)")
      ->required();
  inspect_ = token_->add_subcommand(
      "inspect", "print a token's claims (jti, mesh, name, tags, expiry) without verifying it");
  inspect_->add_option("token", f.token, "the token");
  inspect_->add_option("-f,--file", f.token_file, "read the token from this file");
}

bool CtlMeshCommands::parsed() const { return mesh_->parsed(); }

int CtlMeshCommands::run(const AdminClientOptions& admin) {
  Flags& f = *flags_;
  if (inspect_->parsed()) {
    std::string token = f.token;
    if (!f.token_file.empty()) {
      std::ifstream in(f.token_file);
      std::ostringstream s;
      s << in.rdbuf();
      if (!in) {
        printError("cannot read '" + f.token_file + "'");
        return kInvalid;
      }
      token = s.str();
    }
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    const size_t a = token.find('.');
    const size_t b = a == std::string::npos ? a : token.find('.', a + 1);
    if (b == std::string::npos) {
      printError("not a token (expected header.payload.signature)");
      return kInvalid;
    }
    auto header = pki::base64UrlDecode(std::string_view(token).substr(0, a));
    auto payload = pki::base64UrlDecode(std::string_view(token).substr(a + 1, b - a - 1));
    Json h = header.isOk() ? Json::parse(*header, nullptr, false) : Json();
    Json p = payload.isOk() ? Json::parse(*payload, nullptr, false) : Json();
    if (!h.is_object() || !p.is_object()) {
      printError("not a token: its header or claims are not JSON");
      return kInvalid;
    }
    if (h.contains("kid")) p["kid"] = h["kid"];
    std::printf("%s\n", p.dump(2).c_str());
    return kOk;
  }
  auto client = connect(admin);
  if (!client.isOk()) {
    printError(client.status().message());
    return kInvalid;
  }
  if (revoke_->parsed()) {
    Json body = {{"mesh", f.revoke_mesh}, {"id", f.jti}};
    auto r = client.value()->request("POST", "/tokens/dataplane/revocations", body.dump(),
                                     "application/json");
    if (int rc = check(r, "the revocation"); rc != kOk) return rc;
    std::printf("revoked token %s of mesh %s\n", f.jti.c_str(), f.revoke_mesh.c_str());
    return kOk;
  }
  if (f.services.empty()) {
    printError("--service is required: the kuma.io/service the sidecar serves");
    return kInvalid;
  }
  Json body = {{"mesh", f.mesh},
               {"type", "dataplane"},
               {"validFor", f.valid_for},
               {"tags", {{"kuma.io/service", f.services}}}};
  if (!f.name.empty()) body["name"] = f.name;
  auto r = client.value()->request("POST", "/tokens/dataplane", body.dump(), "application/json");
  if (int rc = check(r, "the token request"); rc != kOk) return rc;
  std::printf("%s\n", r->body.c_str());
  return kOk;
}

}  // namespace causeway::cli
