#include "scaler/trigger_config_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/url.h"

namespace krs::scaler {
namespace {

// Serializes the map as "k=v&k=v" with both sides percent-encoded, so no two maps share a key.
std::string SerializeMetadata(const std::map<std::string, std::string>& metadata) {
  std::string key;
  for (const auto& [name, value] : metadata) {
    absl::StrAppend(&key, PercentEncodeQueryValue(name), "=", PercentEncodeQueryValue(value), "&");
  }
  return key;
}

}  // namespace

TriggerConfigCache::TriggerConfigCache(TriggerConfigCacheOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::shared_ptr<const TriggerConfig>> TriggerConfigCache::Get(
    const std::map<std::string, std::string>& metadata) {
  std::string key = SerializeMetadata(metadata);
  const uint64_t generation = options_.brokers != nullptr ? options_.brokers->generation() : 0;
  {
    MutexLock lock(&mutex_);
    if (generation != broker_generation_) {
      entries_.clear();
      recency_.clear();
      broker_generation_ = generation;
    }
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      recency_.splice(recency_.begin(), recency_, it->second.recency);
      return it->second.result;
    }
  }

  // Parse without the lock; if another thread stored the same map meanwhile, its entry wins so
  // every caller sees one pointer.
  Result result;
  TriggerParseOptions parse_options;
  parse_options.default_timeout = options_.default_timeout;
  parse_options.default_tls = options_.default_tls;
  parse_options.brokers = options_.brokers.get();
  absl::StatusOr<TriggerConfig> parsed = ParseTriggerMetadata(metadata, parse_options);
  if (parsed.ok()) {
    result = std::make_shared<const TriggerConfig>(*std::move(parsed));
  } else {
    result = parsed.status();
  }

  MutexLock lock(&mutex_);
  // Profiles that changed during the parse may have made the result stale: return it without
  // caching it.
  if (generation != broker_generation_) return result;
  auto [it, inserted] = entries_.try_emplace(key);
  if (!inserted) return it->second.result;

  recency_.push_front(std::move(key));
  it->second.result = result;
  it->second.recency = recency_.begin();
  while (entries_.size() > options_.max_entries && !recency_.empty()) {
    entries_.erase(recency_.back());
    recency_.pop_back();
  }
  return result;
}

size_t TriggerConfigCache::size() const {
  MutexLock lock(&mutex_);
  return entries_.size();
}

}  // namespace krs::scaler
