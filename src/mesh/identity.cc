#include "mesh/identity.h"

#include "pki/certificate.h"
#include "pki/keys.h"
#include "pki/spiffe.h"

namespace causeway::mesh {

Status completeIdentity(Identity& id, int64_t now) {
  if (id.cert_pem.empty() || id.key_pem.empty()) {
    return Status::invalidArgument("identity: no certificate or key");
  }
  if (id.trusted_ca_pems.empty()) return Status::invalidArgument("identity: no trusted CA");
  auto key = pki::KeyPair::fromPem(id.key_pem.view());
  if (!key.isOk()) return Status::invalidArgument("identity: " + key.status().message());
  auto verified = pki::verifyWorkloadCertificate(id.cert_pem, id.trusted_ca_pems, now);
  if (!verified.isOk()) return Status::invalidArgument("identity: " + verified.status().message());
  auto info = pki::certificateInfo(id.cert_pem);
  if (!info.isOk()) return info.status();
  auto cert_key = pki::certificatePublicKey(id.cert_pem);
  if (!cert_key.isOk()) return cert_key.status();
  if (!(cert_key.value() == key->publicKey())) {
    return Status::invalidArgument("identity: the key does not match the certificate");
  }
  id.spiffe_id = verified->toString();
  id.not_after = info->not_after;
  id.renew_at = pki::renewAt(info.value());
  return Status::ok();
}

}  // namespace causeway::mesh
