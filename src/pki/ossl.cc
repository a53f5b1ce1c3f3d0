#include "pki/ossl.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>
#include <ctime>

namespace causeway::pki::ossl {
namespace {

// Keys are stored unencrypted; without this callback OpenSSL would prompt on the terminal for
// the pass phrase of an encrypted key.
int noPassphrase(char*, int, int, void*) { return -1; }

bool isIa5Text(std::string_view s) {
  for (char c : s) {
    if (c <= ' ' || c > '~') return false;  // printable ASCII, no spaces or controls
  }
  return true;
}

Status addIa5(GENERAL_NAMES* names, int type, const std::string& value) {
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (!text || !name || ASN1_STRING_set(text, value.data(), int(value.size())) != 1) {
    ASN1_IA5STRING_free(text);
    GENERAL_NAME_free(name);
    return Status::internal(takeError());
  }
  GENERAL_NAME_set0_value(name, type, text);
  if (sk_GENERAL_NAME_push(names, name) <= 0) {
    GENERAL_NAME_free(name);
    return Status::internal(takeError());
  }
  return Status::ok();
}

std::string ia5Text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     size_t(ASN1_STRING_length(s)));
}

}  // namespace

std::string takeError(std::string_view fallback) {
  unsigned long e = ERR_peek_last_error();
  std::string out;
  if (e == 0) {
    out.assign(fallback);
  } else if (const char* reason = ERR_reason_error_string(e)) {
    out = reason;
  } else {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out = buf;
  }
  ERR_clear_error();
  return out;
}

void clearErrors() { ERR_clear_error(); }

BioPtr readBio(std::string_view data) {
  if (data.size() > size_t(INT_MAX)) return BioPtr(BIO_new(BIO_s_mem()));  // empty: fails later
  return BioPtr(BIO_new_mem_buf(data.data(), int(data.size())));
}

std::string bioString(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? std::string(p, size_t(n)) : std::string();
}

Result<X509Ptr> parseCertificate(std::string_view pem) {
  clearErrors();
  BioPtr bio = readBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
  if (!cert) return Status::invalidArgument("invalid certificate PEM: " + takeError());
  return cert;
}

Result<std::vector<X509Ptr>> parseCertificates(std::string_view pem) {
  clearErrors();
  BioPtr bio = readBio(pem);
  std::vector<X509Ptr> out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr)) {
    out.emplace_back(cert);
  }
  // The loop ends at the end of the text ("no start line") or at a damaged certificate.
  unsigned long e = ERR_peek_last_error();
  if (out.empty() || (e != 0 && ERR_GET_REASON(e) != PEM_R_NO_START_LINE)) {
    return Status::invalidArgument("invalid certificate PEM: " + takeError("no certificate"));
  }
  clearErrors();
  return out;
}

std::string certificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  return bioString(bio.get());
}

Result<PkeyPtr> parsePrivateKey(std::string_view pem) {
  clearErrors();
  BioPtr bio = readBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr));
  if (!key) {
    return Status::invalidArgument("invalid private key PEM (encrypted keys are not supported): " +
                                   takeError());
  }
  return key;
}

SecretString privateKeyToPem(EVP_PKEY* key) {
  // A secure-memory BIO: its buffer is cleared when freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    clearErrors();
    return SecretString();
  }
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return SecretString(std::string_view(p, n > 0 ? size_t(n) : 0));
}

bool isP256(const EVP_PKEY* key) {
  if (!key || EVP_PKEY_is_a(key, "EC") != 1) return false;
  char group[64];
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1) {
    clearErrors();
    return false;
  }
  std::string_view name(group, len);
  return name == "prime256v1" || name == "P-256" || name == "secp256r1";
}

Result<int64_t> toUnix(const ASN1_TIME* time) {
  struct tm tm = {};
  if (!time || ASN1_TIME_to_tm(time, &tm) != 1) {
    return Status::invalidArgument("invalid certificate time: " + takeError());
  }
  return int64_t(timegm(&tm));
}

std::string commonName(const X509_NAME* name) {
  if (!name) return {};
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) {
    clearErrors();
    return {};
  }
  std::string out(reinterpret_cast<char*>(utf8), size_t(n));
  OPENSSL_free(utf8);
  return out;
}

Result<GeneralNamesPtr> toGeneralNames(const SubjectAltNames& sans) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return Status::internal(takeError());
  for (const auto& dns : sans.dns) {
    if (dns.empty() || dns.size() > 253 || !isIa5Text(dns)) {
      return Status::invalidArgument("invalid DNS name in subjectAltName: '" + dns + "'");
    }
    if (Status st = addIa5(names.get(), GEN_DNS, dns); !st.isOk()) return st;
  }
  for (const auto& ip : sans.ips) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (!octets) {
      clearErrors();
      return Status::invalidArgument("invalid IP address in subjectAltName: '" + ip + "'");
    }
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (!name) {
      ASN1_OCTET_STRING_free(octets);
      return Status::internal(takeError());
    }
    GENERAL_NAME_set0_value(name, GEN_IPADD, octets);
    if (sk_GENERAL_NAME_push(names.get(), name) <= 0) {
      GENERAL_NAME_free(name);
      return Status::internal(takeError());
    }
  }
  for (const auto& uri : sans.uris) {
    size_t colon = uri.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == uri.size() || !isIa5Text(uri)) {
      return Status::invalidArgument("invalid URI in subjectAltName: '" + uri +
                                     "' (expected scheme:rest, such as spiffe://mesh/service)");
    }
    if (Status st = addIa5(names.get(), GEN_URI, uri); !st.isOk()) return st;
  }
  return names;
}

SubjectAltNames fromGeneralNames(const GENERAL_NAMES* names) {
  SubjectAltNames out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    int type = 0;
    const void* value = GENERAL_NAME_get0_value(name, &type);
    if (!value) continue;
    const auto* s = static_cast<const ASN1_STRING*>(value);
    if (type == GEN_DNS) {
      out.dns.push_back(ia5Text(s));
    } else if (type == GEN_URI) {
      out.uris.push_back(ia5Text(s));
    } else if (type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      const unsigned char* bytes = ASN1_STRING_get0_data(s);
      int len = ASN1_STRING_length(s);
      int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : AF_UNSPEC;
      if (family != AF_UNSPEC && inet_ntop(family, bytes, text, sizeof text)) {
        out.ips.emplace_back(text);
      }
    }
  }
  return out;
}

}  // namespace causeway::pki::ossl
