#include "cp/config_state.h"

#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.h"
#include "model/kong/schema.h"
#include "sync/protocol.h"

namespace causeway::cp {

using Json = nlohmann::json;

ConfigState::ConfigState(store::Store& store, size_t history, KindFilter kinds)
    : store_(store), max_history_(history), kinds_(std::move(kinds)) {}

namespace {

// A record's body as the sync stream carries it: entities are keyed by their "id", which Kuma
// resources do not have (their record id is "mesh/name"); theirs is added.
Json syncBody(const std::string& text, const std::string& id) {
  Json body = Json::parse(text, nullptr, false);
  if (body.is_object() && !body.contains("id")) body["id"] = id;
  return body;
}

}  // namespace

bool ConfigState::accepts(const std::string& kind) const {
  return kinds_ ? kinds_(kind) : model::kong::findSchema(kind) != nullptr;
}

Status ConfigState::load() {
  auto dump = store_.dumpAll();
  if (!dump.isOk()) return dump.status();
  entities_.clear();
  for (const auto& r : dump->records) {
    if (!accepts(r.kind)) continue;
    Json body = syncBody(r.body, r.id);
    if (body.is_discarded()) continue;
    entities_.upsert(r.kind, r.id, std::move(body));
  }
  revision_ = dump->revision;
  history_.clear();
  remember(Step{revision_, entities_.hash(), {}});
  return Status::ok();
}

Result<bool> ConfigState::refresh() {
  bool changed = false;
  for (;;) {
    auto changes = store_.changesSince(revision_, 256);
    if (!changes.isOk()) {
      if (changes.status().code() == Status::Code::kNotFound) {
        Status st = load();
        if (!st.isOk()) return st;
        return true;
      }
      return changes.status();
    }
    if (changes->empty()) break;
    size_t i = 0;
    auto& list = changes.value();
    while (i < list.size()) {
      Step step{list[i].revision, "", {}};
      for (; i < list.size() && list[i].revision == step.revision; ++i) {
        const auto& c = list[i];
        if (!accepts(c.kind)) continue;
        step.touched.emplace_back(c.kind, c.id);
        if (c.deleted) {
          entities_.erase(c.kind, c.id);
        } else {
          Json body = syncBody(c.body, c.id);
          if (!body.is_discarded()) entities_.upsert(c.kind, c.id, std::move(body));
        }
      }
      revision_ = step.revision;
      if (!step.touched.empty()) changed = true;
      step.hash = entities_.hash();
      remember(std::move(step));
    }
  }
  return changed;
}

void ConfigState::remember(Step step) {
  history_.push_back(std::move(step));
  while (history_.size() > max_history_) history_.pop_front();
}

std::shared_ptr<const std::string> ConfigState::snapshotMessage() {
  if (snapshot_cache_ && snapshot_cache_revision_ == revision_) return snapshot_cache_;
  // Built as text: the bodies are canonical JSON already.
  std::string msg = "{\"type\":\"snapshot\",\"revision\":" + std::to_string(revision_) +
                    ",\"hash\":\"" + entities_.hash() + "\",\"config\":";
  msg += entities_.declarativeText();
  msg += '}';
  snapshot_cache_ = std::make_shared<const std::string>(sync::deflateBytes(msg));
  snapshot_cache_revision_ = revision_;
  return snapshot_cache_;
}

std::shared_ptr<const std::string> ConfigState::deltaMessage(int64_t from,
                                                             const std::string& from_hash) {
  if (full_only_) return nullptr;
  if (delta_cache_revision_ != revision_) {
    delta_cache_.clear();
    delta_cache_revision_ = revision_;
  }
  // Find the step at `from` and check the DP's hash matches what we had then.
  size_t start = history_.size();
  for (size_t i = 0; i < history_.size(); ++i) {
    if (history_[i].revision == from) {
      start = i;
      break;
    }
    if (history_[i].revision > from) break;
  }
  if (start == history_.size() || history_[start].hash != from_hash) return nullptr;
  if (auto it = delta_cache_.find(from); it != delta_cache_.end()) return it->second;
  std::set<std::pair<std::string, std::string>> touched;
  for (size_t i = start + 1; i < history_.size(); ++i) {
    touched.insert(history_[i].touched.begin(), history_[i].touched.end());
  }
  // Most of a large set changed (a DP that starts empty, a bulk import): the snapshot is as big,
  // and one encoding of it serves every data plane.
  if (touched.size() > 1000 && touched.size() * 2 > entities_.size()) return nullptr;
  // Parents before children.
  auto rank = [](const std::string& kind) {
    const auto& all = model::kong::entitySchemas();
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].kind == kind) return i;
    }
    return all.size();
  };
  std::vector<std::pair<std::string, std::string>> order(touched.begin(), touched.end());
  std::stable_sort(order.begin(), order.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  std::string upserts, deletes;
  for (const auto& [kind, id] : order) {
    if (const std::string* body = entities_.find(kind, id)) {
      if (!upserts.empty()) upserts += ',';
      upserts += "{\"kind\":\"" + jsonEscape(kind) + "\",\"body\":" + *body + "}";
    } else {
      if (!deletes.empty()) deletes += ',';
      deletes += "{\"kind\":\"" + jsonEscape(kind) + "\",\"id\":\"" + jsonEscape(id) + "\"}";
    }
  }
  std::string msg = "{\"type\":\"delta\",\"from\":" + std::to_string(from) +
                    ",\"revision\":" + std::to_string(revision_) + ",\"hash\":\"" +
                    entities_.hash() + "\",\"upserts\":[" + upserts + "],\"deletes\":[" + deletes +
                    "]}";
  auto out = std::make_shared<const std::string>(sync::deflateBytes(msg));
  delta_cache_[from] = out;
  return out;
}

}  // namespace causeway::cp
