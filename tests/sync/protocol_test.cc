#include "sync/protocol.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace causeway::sync {
namespace {

using Code = Status::Code;

// Deterministic, partly compressible bytes: JSON-ish text with random digits.
std::string sampleBytes(size_t n) {
  std::mt19937 rng(42);
  std::string out;
  out.reserve(n + 64);
  while (out.size() < n) {
    out += "{\"id\":\"";
    for (int i = 0; i < 16; ++i) out += char('0' + rng() % 10);
    out += "\",\"paths\":[\"/v1\"]},";
    out += char(rng() & 0xff);
  }
  out.resize(n);
  return out;
}

TEST(Deflate, RoundTripsEmptyInput) {
  std::string packed = deflateBytes("");
  EXPECT_FALSE(packed.empty());  // a zlib stream has a header and trailer even for no data
  auto back = inflateBytes(packed, 16);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(*back, "");
}

TEST(Deflate, RoundTripsSmallInput) {
  const std::string text = R"({"type":"heartbeat"})";
  auto back = inflateBytes(deflateBytes(text), kMaxMessageBytes);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(*back, text);
}

TEST(Deflate, RoundTripsBinaryInput) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += char(i);
  bytes += std::string("\0\0\0", 3);
  auto back = inflateBytes(deflateBytes(bytes), bytes.size());
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(*back, bytes);
}

TEST(Deflate, RoundTripsFiveMegabytes) {
  const std::string big = sampleBytes(5u << 20);
  std::string packed = deflateBytes(big);
  ASSERT_FALSE(packed.empty());
  EXPECT_LT(packed.size(), big.size());
  auto back = inflateBytes(packed, kMaxMessageBytes);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(back->size(), big.size());
  EXPECT_TRUE(*back == big);  // not EXPECT_EQ: a failure would print 10 MB
}

TEST(Inflate, AcceptsOutputOfExactlyMaxOut) {
  const std::string text(100000, 'a');
  auto back = inflateBytes(deflateBytes(text), text.size());
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(back->size(), text.size());
}

TEST(Inflate, RefusesGarbage) {
  for (std::string garbage : {std::string("not a zlib stream at all"), std::string(1000, '\xff'),
                              std::string("\x78\x9c\xff\xff\xff\xff", 6), std::string("x")}) {
    auto r = inflateBytes(garbage, kMaxMessageBytes);
    ASSERT_FALSE(r.isOk()) << garbage;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

TEST(Inflate, RefusesEmptyInput) {
  auto r = inflateBytes("", kMaxMessageBytes);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST(Inflate, RefusesTruncatedInput) {
  const std::string packed = deflateBytes(sampleBytes(200000));
  ASSERT_GT(packed.size(), 16u);
  for (size_t keep : {size_t(2), packed.size() / 2, packed.size() - 4, packed.size() - 1}) {
    auto r = inflateBytes(std::string_view(packed).substr(0, keep), kMaxMessageBytes);
    ASSERT_FALSE(r.isOk()) << "kept " << keep << " of " << packed.size();
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

TEST(Inflate, RefusesACorruptedChecksum) {
  std::string packed = deflateBytes("some configuration");
  packed.back() = char(packed.back() ^ 0x01);  // last byte of the Adler-32 trailer
  auto r = inflateBytes(packed, kMaxMessageBytes);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST(Inflate, RefusesOutputAboveMaxOut) {
  const std::string text(100001, 'a');
  auto r = inflateBytes(deflateBytes(text), 100000);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("too large"), std::string::npos) << r.status().message();

  // A small message that expands a thousandfold stops at the limit, not at the end.
  const std::string bomb = deflateBytes(std::string(8u << 20, '\0'));
  EXPECT_LT(bomb.size(), 64u << 10);
  auto b = inflateBytes(bomb, 1u << 20);
  ASSERT_FALSE(b.isOk());
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);

  EXPECT_FALSE(inflateBytes(deflateBytes("x"), 0).isOk());
}

TEST(CompareVersions, EqualVersions) {
  EXPECT_EQ(compareVersions("0.1.0", "0.1.0"), 0);
  EXPECT_EQ(compareVersions("", ""), 0);
}

TEST(CompareVersions, ComparesPartsNumerically) {
  EXPECT_EQ(compareVersions("0.10.0", "0.9.9"), 1);
  EXPECT_EQ(compareVersions("0.9.9", "0.10.0"), -1);
  EXPECT_EQ(compareVersions("0.10.0", "0.9.1"), 1);
}

TEST(CompareVersions, MissingPartsCountAsZero) {
  EXPECT_EQ(compareVersions("1.0", "1.0.0"), 0);
  EXPECT_EQ(compareVersions("1.0.0", "1.0"), 0);
  EXPECT_EQ(compareVersions("1.0", "1.0.1"), -1);
  EXPECT_EQ(compareVersions("1.0.1", "1.0"), 1);
}

TEST(CompareVersions, MajorDominates) {
  EXPECT_EQ(compareVersions("9.0.0", "0.1.0"), 1);
  EXPECT_EQ(compareVersions("0.1.0", "9.0.0"), -1);
  EXPECT_EQ(compareVersions(kVersion, kVersion), 0);
}

}  // namespace
}  // namespace causeway::sync
