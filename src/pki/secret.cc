#include "pki/secret.h"

#include <openssl/crypto.h>

namespace causeway::pki {

void wipeString(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

SecretString::SecretString(std::string_view text) {
  // Reserve first so the bytes are written once and never left behind by a reallocation.
  text_.reserve(text.size());
  text_.assign(text.data(), text.size());
}

SecretString::SecretString(const SecretString& other) : SecretString(other.view()) {}

SecretString::SecretString(SecretString&& other) noexcept : SecretString(other.view()) {
  other.wipe();
}

SecretString& SecretString::operator=(const SecretString& other) {
  if (this != &other) {
    wipe();
    text_.reserve(other.size());
    text_.assign(other.text_);
  }
  return *this;
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    *this = static_cast<const SecretString&>(other);
    other.wipe();
  }
  return *this;
}

SecretString::~SecretString() { wipe(); }

void SecretString::wipe() { wipeString(text_); }

}  // namespace causeway::pki
