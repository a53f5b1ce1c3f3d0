#include "store/paging.h"

#include <algorithm>

#include "store/codec.h"

namespace causeway::store {

namespace {
constexpr size_t kMaxBatch = 1000;
constexpr size_t kMinFilteredBatch = 64;  // a filter may reject many: scan in larger steps
}  // namespace

Result<Page> paginate(const std::string& offset, size_t size,
                      const std::function<bool(const Record&)>& filter, const FetchBatch& fetch) {
  if (size == 0) return Status::invalidArgument("list: page size must be at least 1");
  std::string after;
  if (!offset.empty()) {
    auto decoded = decodeOffset(offset);
    if (!decoded) return Status::invalidArgument("invalid offset");
    after = std::move(*decoded);
  }
  Page page;
  for (;;) {
    size_t want = size - page.records.size();
    size_t batch = std::min(filter ? std::max(want, kMinFilteredBatch) : want, kMaxBatch);
    // One record past the batch tells whether the listing goes on.
    auto rows = fetch(after, batch + 1);
    if (!rows.isOk()) return rows.status();
    bool more = rows->size() > batch;
    size_t n = std::min(rows->size(), batch);
    for (size_t i = 0; i < n; ++i) {
      Record& record = (*rows)[i];
      after = record.id;
      if (filter) {
        bool keep = false;
        try {
          keep = filter(record);
        } catch (const std::exception& e) {
          return Status::internal(std::string("list: the filter threw: ") + e.what());
        } catch (...) {
          return Status::internal("list: the filter threw");
        }
        if (!keep) continue;
      }
      page.records.push_back(std::move(record));
      if (page.records.size() == size) {
        if (i + 1 < rows->size()) page.next_offset = encodeOffset(after);
        return page;
      }
    }
    if (!more) return page;
  }
}

}  // namespace causeway::store
