// list() pagination shared by both backends: pages of `size` accepted records in id order, the
// offset token naming the last id returned, the filter applied while scanning in batches.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace causeway::store {

// Returns up to `limit` records of the listing whose id is greater than `after_id` ("" for the
// start), in id order.
using FetchBatch =
    std::function<Result<std::vector<Record>>(const std::string& after_id, size_t limit)>;

// One page of the listing starting after `offset`. invalidArgument("invalid offset") for a token
// this store did not hand out. `filter` runs without any store lock held.
Result<Page> paginate(const std::string& offset, size_t size,
                      const std::function<bool(const Record&)>& filter, const FetchBatch& fetch);

}  // namespace causeway::store
