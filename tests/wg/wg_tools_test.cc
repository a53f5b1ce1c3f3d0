// Cross-checks key handling against the reference tools (`wg` from wireguard-tools), when
// installed: keys made by `wg genkey` give the same public key here as with `wg pubkey`, and
// `wg pubkey` accepts keys made here.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "wg/deterministic_env.h"
#include "wg/key_encoding.h"
#include "wg/x25519.h"

namespace causeway::wg {
namespace {

bool haveWg() { return std::system("command -v wg >/dev/null 2>&1") == 0; }

// The first line a shell command prints, without its newline.
std::string firstLine(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return {};
  std::array<char, 256> buf{};
  std::string line;
  if (std::fgets(buf.data(), int(buf.size()), p) != nullptr) line = buf.data();
  pclose(p);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

TEST(WgTools, PublicKeysMatchWgPubkey) {
  if (!haveWg()) GTEST_SKIP() << "wg (wireguard-tools) not installed";
  for (int i = 0; i < 5; ++i) {
    const std::string priv = firstLine("wg genkey");
    ASSERT_EQ(priv.size(), 44u);
    const std::string pub = firstLine("echo " + priv + " | wg pubkey");
    const std::optional<Key> key = decodeSecretKey(priv);
    ASSERT_TRUE(key);
    const std::optional<PublicKey> ours = publicKeyOf(*key);
    ASSERT_TRUE(ours);
    EXPECT_EQ(encodeKey(*ours), pub);
  }
}

TEST(WgTools, WgPubkeyAgreesWithOurKeys) {
  if (!haveWg()) GTEST_SKIP() << "wg (wireguard-tools) not installed";
  DeterministicEnv env(5);
  for (int i = 0; i < 3; ++i) {
    const KeyPair kp = generateKeyPair(env);
    EXPECT_EQ(firstLine("echo " + encodeKey(kp.private_key) + " | wg pubkey"),
              encodeKey(kp.public_key));
  }
}

}  // namespace
}  // namespace causeway::wg
