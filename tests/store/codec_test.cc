#include "store/codec.h"

#include <gtest/gtest.h>

#include "store/paging.h"
#include "store/postgres_connection.h"

namespace causeway::store {
namespace {

TEST(OffsetToken, RoundTripsAnyId) {
  for (std::string id : {std::string("a"), std::string("6c1e-4f"), std::string("ü/é?&=+"),
                         std::string("x\0y", 3), std::string(300, 'z')}) {
    std::string token = encodeOffset(id);
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    EXPECT_EQ(decodeOffset(token), id);
  }
}

TEST(OffsetToken, RejectsWhatItDidNotProduce) {
  EXPECT_EQ(decodeOffset(""), std::nullopt);
  EXPECT_EQ(decodeOffset("abc="), std::nullopt);    // padding
  EXPECT_EQ(decodeOffset("a+b/"), std::nullopt);    // standard alphabet
  EXPECT_EQ(decodeOffset("bm9wZQ"), std::nullopt);  // "nope": no version prefix
  EXPECT_EQ(decodeOffset("bzE6"), std::nullopt);    // "o1:" with an empty id
  std::string token = encodeOffset("ab");
  token.back() = token.back() == 'A' ? 'B' : 'A';  // non-canonical trailing bits or other id
  auto decoded = decodeOffset(token);
  EXPECT_NE(decoded, std::optional<std::string>("ab"));
}

TEST(StringList, RoundTripsAndRejectsOtherJson) {
  std::vector<std::string> values{"name=a", "q\"uote", "back\\slash", ""};
  auto json = encodeStringList(values, "a key");
  ASSERT_TRUE(json.isOk());
  EXPECT_EQ(decodeStringList(*json), values);
  EXPECT_EQ(decodeStringList("[]"), std::vector<std::string>{});
  EXPECT_EQ(decodeStringList("{}"), std::nullopt);
  EXPECT_EQ(decodeStringList("[1]"), std::nullopt);
  EXPECT_EQ(decodeStringList("[\"a\""), std::nullopt);
  auto bad = encodeStringList({std::string("\xff")}, "a unique key of services/x");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), "a unique key of services/x is not valid UTF-8");
}

TEST(UniqueValues, KeepsFirstOccurrences) {
  EXPECT_EQ(uniqueValues({"b", "a", "b", "c", "a"}), (std::vector<std::string>{"b", "a", "c"}));
}

TEST(Paginate, ScansInBatchesUntilThePageIsFull) {
  std::vector<std::string> ids;
  for (int i = 0; i < 2500; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%05d", i);
    ids.push_back(buf);
  }
  int fetches = 0;
  FetchBatch fetch = [&](const std::string& after, size_t limit) -> Result<std::vector<Record>> {
    ++fetches;
    std::vector<Record> out;
    for (const auto& id : ids) {
      if (id > after && out.size() < limit) {
        Record r;
        r.id = id;
        out.push_back(r);
      }
    }
    return out;
  };
  // Only the last record passes: the whole listing is scanned, in several batches.
  auto page = paginate(
      "", 5, [](const Record& r) { return r.id == "02499"; }, fetch);
  ASSERT_TRUE(page.isOk());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_TRUE(page->next_offset.empty());
  EXPECT_GE(fetches, 3);

  fetches = 0;
  page = paginate("", 2000, nullptr, fetch);
  ASSERT_TRUE(page.isOk());
  EXPECT_EQ(page->records.size(), 2000u);
  EXPECT_EQ(page->records.back().id, "01999");
  ASSERT_FALSE(page->next_offset.empty());
  page = paginate(page->next_offset, 2000, nullptr, fetch);
  ASSERT_TRUE(page.isOk());
  EXPECT_EQ(page->records.size(), 500u);
  EXPECT_TRUE(page->next_offset.empty());

  EXPECT_EQ(paginate("", 0, nullptr, fetch).status().code(), Status::Code::kInvalidArgument);
  auto threw = paginate(
      "", 1, [](const Record&) -> bool { throw std::runtime_error("x"); }, fetch);
  EXPECT_EQ(threw.status().code(), Status::Code::kInternal);
}

TEST(PgTarget, DisplayNameHasNoSecrets) {
  auto t = parsePgTarget("postgres://u:p%40ss@db.example:5433/causeway?sslmode=require&password=q");
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  EXPECT_EQ(t->display, "postgres://u@db.example:5433/causeway");
  EXPECT_EQ(t->redact("x p%40ss y q"), "x *** y ***");
  EXPECT_EQ(parsePgTarget("postgresql://localhost")->display, "postgresql://localhost");
  EXPECT_EQ(parsePgTarget("postgres:///causeway?host=/run/pg")->display, "postgres:///causeway");
  EXPECT_EQ(parsePgTarget("mysql://x").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(parsePgTarget("host=x password=y").status().code(), Status::Code::kInvalidArgument);
}

TEST(PgTextArray, QuotesEveryElement) {
  EXPECT_EQ(pgTextArray({}), "{}");
  EXPECT_EQ(pgTextArray({"a", "b\"c", "d\\e", "NULL", ""}), R"({"a","b\"c","d\\e","NULL",""})");
}

}  // namespace
}  // namespace causeway::store
