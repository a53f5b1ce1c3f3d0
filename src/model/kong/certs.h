// PEM checks for certificate entities, with OpenSSL. Pure; thread-safe (OpenSSL 3).
#pragma once

#include <string_view>

#include "model/kong/validate.h"

namespace causeway::model::kong {

// Every PEM block of `pem` must be an X.509 certificate; at least one.
Problem checkCertificatePem(std::string_view pem);
// One private key (unencrypted: nothing prompts for a pass phrase).
Problem checkPrivateKeyPem(std::string_view pem);
// True when the key is the private half of the first certificate's public key. Both inputs must
// have passed the checks above.
bool keyMatchesCertificate(std::string_view certPem, std::string_view keyPem);

}  // namespace causeway::model::kong
