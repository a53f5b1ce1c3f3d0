// SecretString: a string holding key material (a private key PEM) that is overwritten with
// OPENSSL_cleanse before its memory is released. Copies and moves wipe what they leave behind.
// A SecretString is a plain value: distinct objects may be used from different threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace causeway::pki {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string_view text);
  SecretString(const SecretString& other);
  // Copies and wipes `other` (a moved std::string may leave its bytes in a small-string buffer).
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(const SecretString& other);
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString();

  const std::string& str() const { return text_; }
  std::string_view view() const { return text_; }
  bool empty() const { return text_.empty(); }
  size_t size() const { return text_.size(); }

  // Overwrites the content and leaves the string empty.
  void wipe();

 private:
  std::string text_;
};

// Overwrites a std::string holding key material and leaves it empty.
void wipeString(std::string& secret);

}  // namespace causeway::pki
