// The control plane's view of the gateway config it serves: the entity set at the store's latest
// revision, kept current from the store's change log, with a bounded history of which entities
// each revision touched, so a data plane at an older revision gets only what changed (a delta)
// and one that is too far behind (or unknown) gets a full snapshot. Encoded messages are cached:
// fifty data planes at the same revision cost one encoding. Runs on the CP's main thread.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/store.h"
#include "sync/entity_set.h"

namespace causeway::cp {

class ConfigState {
 public:
  // Which store kinds this config is made of; nullptr: the Kong gateway entities (what gateway
  // data planes serve). The transit network's state takes the network kinds (a second instance),
  // the mesh's the Kuma kinds (bodies without an "id" get their record id as one).
  using KindFilter = std::function<bool(std::string_view kind)>;

  explicit ConfigState(store::Store& store, size_t history = 4096, KindFilter kinds = nullptr);
  // Full snapshots on every change, as Kong does (deltaMessage() then always returns nullptr).
  // For comparison benchmarks; deltas are the default.
  void setFullSnapshotsOnly(bool on) { full_only_ = on; }
  // Sizes of the last encoded messages, for /status.
  size_t lastSnapshotBytes() const { return snapshot_cache_ ? snapshot_cache_->size() : 0; }

  Status load();  // everything, from dumpAll()
  // Applies the changes committed since the last call; true if the gateway config changed.
  Result<bool> refresh();

  int64_t revision() const { return revision_; }
  std::string hash() const { return entities_.hash(); }
  const sync::EntitySet& entities() const { return entities_; }

  // The deflated "snapshot" message for the current revision.
  std::shared_ptr<const std::string> snapshotMessage();
  // The deflated "delta" message taking a data plane from (`from`, `from_hash`) to the current
  // revision; nullptr when history does not reach back there or the hash does not match.
  std::shared_ptr<const std::string> deltaMessage(int64_t from, const std::string& from_hash);

 private:
  struct Step {
    int64_t revision;
    std::string hash;                                          // of the set after this revision
    std::vector<std::pair<std::string, std::string>> touched;  // (kind, id)
  };
  void remember(Step step);
  bool accepts(const std::string& kind) const;

  store::Store& store_;
  size_t max_history_;
  sync::EntitySet entities_;
  int64_t revision_ = 0;
  std::deque<Step> history_;
  std::shared_ptr<const std::string> snapshot_cache_;
  int64_t snapshot_cache_revision_ = -1;
  std::map<int64_t, std::shared_ptr<const std::string>> delta_cache_;  // from -> message
  int64_t delta_cache_revision_ = -1;
  bool full_only_ = false;
  KindFilter kinds_;
};

}  // namespace causeway::cp
