#include "pki/keys.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "pki/secret.h"

namespace causeway::pki {
namespace {

std::string pemOfKey(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr,
                     const char* passphrase = nullptr) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, cipher,
                           reinterpret_cast<const unsigned char*>(passphrase),
                           passphrase ? int(strlen(passphrase)) : 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, size_t(n));
}

TEST(KeyPair, GeneratesDistinctP256Keys) {
  auto a = generateKey();
  auto b = generateKey();
  ASSERT_TRUE(a.isOk()) << a.status().message();
  ASSERT_TRUE(b.isOk());
  EXPECT_TRUE(EVP_PKEY_is_a(a->get(), "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(a->get()), 256);
  EXPECT_FALSE(a->publicKey() == b->publicKey());
  EXPECT_TRUE(a->publicKey() == a->publicKey());
}

TEST(KeyPair, PemRoundTrip) {
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  SecretString pem = key->toPem();
  EXPECT_NE(pem.str().find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  auto back = KeyPair::fromPem(pem.view());
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_TRUE(back->publicKey() == key->publicKey());
  EXPECT_EQ(back->toPem().str(), pem.str());
}

TEST(KeyPair, AcceptsSec1Pem) {
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  // Traditional "EC PRIVATE KEY" form, as `openssl ecparam -genkey` writes it.
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), key->get(), nullptr, nullptr, 0,
                                                 nullptr, nullptr),
            1);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  std::string sec1(p, size_t(n));
  ASSERT_NE(sec1.find("EC PRIVATE KEY"), std::string::npos);
  auto back = KeyPair::fromPem(sec1);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_TRUE(back->publicKey() == key->publicKey());
}

TEST(KeyPair, RefusesOtherKeyTypesAndGarbage) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> rsa(EVP_RSA_gen(2048), EVP_PKEY_free);
  ASSERT_TRUE(rsa);
  auto r = KeyPair::fromPem(pemOfKey(rsa.get()));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("not EC P-256"), std::string::npos);

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> p384(EVP_EC_gen("P-384"), EVP_PKEY_free);
  EXPECT_FALSE(KeyPair::fromPem(pemOfKey(p384.get())).isOk());

  EXPECT_FALSE(KeyPair::fromPem("").isOk());
  EXPECT_FALSE(
      KeyPair::fromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").isOk());
}

TEST(KeyPair, RefusesEncryptedKeyWithoutPrompting) {
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  std::string encrypted = pemOfKey(key->get(), EVP_aes_256_cbc(), "secret");
  ASSERT_NE(encrypted.find("ENCRYPTED"), std::string::npos);
  auto r = KeyPair::fromPem(encrypted);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("encrypted keys are not supported"), std::string::npos);
}

TEST(PublicKey, PemRoundTripHoldsNoPrivateKey) {
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  PublicKey pub = key->publicKey();
  std::string pem = pub.toPem();
  EXPECT_NE(pem.find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  auto back = PublicKey::fromPem(pem);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_TRUE(back.value() == pub);
  // The public object cannot be written out as a private key.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  EXPECT_NE(PEM_write_bio_PrivateKey(bio.get(), pub.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  ERR_clear_error();
}

TEST(SecretString, CopiesMovesAndWipes) {
  SecretString a("-----BEGIN PRIVATE KEY-----");
  SecretString b = a;
  EXPECT_EQ(b.str(), a.str());
  SecretString c = std::move(a);
  EXPECT_EQ(c.str(), "-----BEGIN PRIVATE KEY-----");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped, by contract
  SecretString small("k");
  SecretString d = std::move(small);
  EXPECT_EQ(d.str(), "k");
  EXPECT_TRUE(small.empty());  // NOLINT(bugprone-use-after-move)
  d = std::move(c);
  EXPECT_EQ(d.str(), "-----BEGIN PRIVATE KEY-----");
  EXPECT_TRUE(c.empty());  // NOLINT(bugprone-use-after-move)
  d.wipe();
  EXPECT_TRUE(d.empty());

  std::string raw = "secret";
  wipeString(raw);
  EXPECT_TRUE(raw.empty());
}

}  // namespace
}  // namespace causeway::pki
