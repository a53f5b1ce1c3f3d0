#include "pki/csr.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/ossl.h"

namespace causeway::pki {
namespace {

void freeExtensions(STACK_OF(X509_EXTENSION) * exts) {
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}
using ExtensionsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), ossl::FreeWith<freeExtensions>>;

}  // namespace

Result<std::string> makeCsr(const KeyPair& key, const std::string& common_name,
                            const SubjectAltNames& sans) {
  if (common_name.empty() || common_name.size() > 64) {
    return Status::invalidArgument("CSR common name must have 1 to 64 characters");
  }
  ossl::clearErrors();
  ossl::X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) {
    return Status::internal(ossl::takeError());
  }
  if (X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req.get()), NID_commonName,
                                 MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 int(common_name.size()), -1, 0) != 1) {
    return Status::invalidArgument("invalid CSR common name: " + ossl::takeError());
  }
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1) return Status::internal(ossl::takeError());
  if (!sans.empty()) {
    auto names = ossl::toGeneralNames(sans);
    if (!names.isOk()) return names.status();
    ExtensionsPtr exts(sk_X509_EXTENSION_new_null());
    X509_EXTENSION* ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names->get());
    if (!exts || !ext || sk_X509_EXTENSION_push(exts.get(), ext) <= 0) {
      X509_EXTENSION_free(ext);
      return Status::internal(ossl::takeError());
    }
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) {
      return Status::internal(ossl::takeError());
    }
  }
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return Status::internal("cannot sign CSR: " + ossl::takeError());
  }
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return Status::internal(ossl::takeError());
  }
  return ossl::bioString(bio.get());
}

Result<CsrInfo> readCsr(std::string_view csr_pem) {
  ossl::clearErrors();
  ossl::BioPtr bio = ossl::readBio(csr_pem);
  ossl::X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return Status::invalidArgument("invalid CSR PEM: " + ossl::takeError());
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (!key) return Status::invalidArgument("invalid CSR public key: " + ossl::takeError());
  if (!ossl::isP256(key)) return Status::invalidArgument("CSR key is not EC P-256");
  if (X509_REQ_verify(req.get(), key) != 1) {
    ossl::clearErrors();
    return Status::invalidArgument(
        "CSR signature does not verify: the request was altered or not signed by its key");
  }
  auto public_key = PublicKey::fromOpenSsl(key);
  if (!public_key.isOk()) return public_key.status();

  SubjectAltNames sans;
  ExtensionsPtr exts(X509_REQ_get_extensions(req.get()));
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    ossl::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    if (!names) return Status::invalidArgument("invalid subjectAltName in CSR");
    sans = ossl::fromGeneralNames(names.get());
  }
  ossl::clearErrors();
  return CsrInfo{ossl::commonName(X509_REQ_get_subject_name(req.get())), std::move(sans),
                 std::move(public_key.value())};
}

}  // namespace causeway::pki
